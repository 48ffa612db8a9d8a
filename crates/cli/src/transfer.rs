//! `tenure export` and `tenure import`: all of a database's rows, moved between SQLite and
//! PostgreSQL (either way) through a file of JSON lines.
//!
//! The file holds a header line (`{"format": "tenure-export", "schema_version": N}`); then,
//! for each table, a line naming it, its columns and its row count, followed by its rows, one
//! JSON array a line, values in the columns' order; then an end line with every table's row
//! count and every account's funds summed from its postings. The export reads everything from
//! one snapshot and writes a file of its own name only once it is whole. The import refuses a
//! database that holds anything, writes everything in one transaction, and commits only once
//! the counts and the sums it wrote equal the file's and every ledger entry still balances.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Value as Json};
use tenure_store::database::Value;
use tenure_store::transfer::{self, AccountSums, Column, ColumnType, Table, TABLES};
use tenure_store::{migrations, Store};

use crate::progress;

const FORMAT: &str = "tenure-export";
/// Rows read from the source, and written to the target, at a time.
const ROWS_PER_PAGE: usize = 1_000;

/// What was moved: rows by table, and the accounts whose sums were checked.
pub struct Moved {
    pub rows: u64,
    pub tables: usize,
    pub accounts: usize,
}

pub async fn export(db: &str, file: &Path) -> anyhow::Result<Moved> {
    let store = Store::open_unmigrated(db).await?;
    let version = migrations::current_version(&store).await?;
    let latest = migrations::latest_version();
    if version != latest {
        bail!("{db} is at schema version {version}, this tenure's is {latest}: run `tenure migrate --db {db}` first");
    }
    // Written beside the file and renamed at the end: a file of that name is always whole.
    let partial = file.with_extension("partial");
    let mut out = BufWriter::new(
        File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?,
    );
    let mut snapshot = store.snapshot().await?;
    let mut counts = BTreeMap::new();
    for table in TABLES {
        counts.insert(table.name, snapshot.count(table).await?);
    }
    let bar = progress::bar(counts.values().sum());
    write_line(
        &mut out,
        &json!({ "format": FORMAT, "schema_version": version }),
    )?;
    for table in TABLES {
        bar.set_message(table.name);
        let columns = snapshot.columns(table).await?;
        write_line(
            &mut out,
            &json!({ "table": table.name, "columns": columns_json(&columns), "rows": counts[table.name] }),
        )?;
        let mut after: Option<Vec<Value>> = None;
        let mut written = 0;
        loop {
            let page = snapshot
                .page(table, &columns, after.as_deref(), ROWS_PER_PAGE)
                .await?;
            for row in &page {
                write_line(&mut out, &Json::Array(row.iter().map(value_json).collect()))?;
            }
            written += page.len() as u64;
            bar.inc(page.len() as u64);
            match page.into_iter().last() {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        // One snapshot: nothing can have come or gone since the count.
        if written != counts[table.name] {
            bail!(
                "{}: {written} rows read, {} counted",
                table.name,
                counts[table.name]
            );
        }
    }
    let accounts = snapshot.account_sums().await?;
    write_line(
        &mut out,
        &json!({ "end": { "counts": counts, "accounts": accounts.iter().map(sums_json).collect::<Vec<_>>() } }),
    )?;
    snapshot.finish().await?;
    store.close().await;
    out.into_inner()
        .map_err(|error| error.into_error())?
        .sync_all()?;
    std::fs::rename(&partial, file)?;
    bar.finish_and_clear();
    Ok(Moved {
        rows: counts.values().sum(),
        tables: TABLES.len(),
        accounts: accounts.len(),
    })
}

pub async fn import(db: &str, file: &Path) -> anyhow::Result<Moved> {
    let opened = File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let size = opened.metadata()?.len();
    let mut lines = BufReader::new(opened).lines().enumerate();
    // Each line parsed, with its number and the bytes read so far (for the bar).
    let mut read_bytes = 0u64;
    let mut next = move || -> anyhow::Result<Option<(usize, Json, u64)>> {
        match lines.next() {
            None => Ok(None),
            Some((index, line)) => {
                let line = line?;
                read_bytes += line.len() as u64 + 1;
                let parsed = serde_json::from_str(&line)
                    .with_context(|| format!("line {}: not JSON", index + 1))?;
                Ok(Some((index + 1, parsed, read_bytes)))
            }
        }
    };
    let Some((_, header, _)) = next()? else {
        bail!("{} is empty", file.display());
    };
    if header["format"] != FORMAT {
        bail!("{} is not a tenure export", file.display());
    }
    let latest = migrations::latest_version();
    if header["schema_version"] != latest {
        bail!(
            "{} was exported at schema version {}; this tenure's is {latest}: import it with the tenure that exported it, then migrate",
            file.display(),
            header["schema_version"]
        );
    }
    let store = Store::connect(db).await?;
    if let Some(table) = transfer::first_table_with_rows(&store).await? {
        bail!("{db} is not empty ({table} has rows): import only into a new database");
    }
    let bar = progress::bar(size);
    let mut tx = store.begin().await?;
    let mut imported: BTreeMap<String, u64> = BTreeMap::new();
    let mut expected_tables = TABLES.iter();
    let mut section: Option<(Table, Vec<Column>)> = None;
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(ROWS_PER_PAGE);
    let end = loop {
        let Some((number, line, read_bytes)) = next()? else {
            bail!(
                "{} ends before its end line: it is not whole",
                file.display()
            );
        };
        bar.set_position(read_bytes.min(size));
        if let Json::Array(values) = line {
            let Some((table, columns)) = &section else {
                bail!("line {number}: a row before any table");
            };
            if values.len() != columns.len() {
                bail!(
                    "line {number}: {} values for {} columns",
                    values.len(),
                    columns.len()
                );
            }
            let row = values
                .into_iter()
                .zip(columns)
                .map(|(value, column)| value_from_json(value, column))
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("line {number} ({})", table.name))?;
            rows.push(row);
            if rows.len() == ROWS_PER_PAGE {
                transfer::insert(&mut tx, table, columns, &rows).await?;
                *imported.entry(table.name.to_string()).or_default() += rows.len() as u64;
                rows.clear();
            }
            continue;
        }
        if let Some((table, columns)) = &section {
            transfer::insert(&mut tx, table, columns, &rows).await?;
            *imported.entry(table.name.to_string()).or_default() += rows.len() as u64;
            rows.clear();
        }
        if let Some(end) = line.get("end") {
            break end.clone();
        }
        let Some(name) = line["table"].as_str() else {
            bail!("line {number}: neither a table, a row nor the end");
        };
        let Some(table) = expected_tables.next().filter(|table| table.name == name) else {
            bail!("line {number}: table {name} is not the one expected there");
        };
        let columns = columns_from_json(&line["columns"], &store, table)
            .await
            .with_context(|| format!("line {number} ({name})"))?;
        imported.insert(name.to_string(), 0);
        section = Some((*table, columns));
    };
    // What was written must be what was exported, checked before anything is committed.
    for table in TABLES {
        let expected = end["counts"][table.name].as_u64();
        let written = transfer::count(&mut tx, table).await?;
        if expected != Some(written) || imported.get(table.name).copied() != Some(written) {
            bail!(
                "{}: {written} rows imported, the export counts {expected:?}; nothing was imported",
                table.name
            );
        }
    }
    let sums = transfer::account_sums(&mut tx).await?;
    let exported_sums: Vec<Json> = end["accounts"].as_array().cloned().unwrap_or_default();
    let imported_sums: Vec<Json> = sums.iter().map(sums_json).collect();
    if exported_sums != imported_sums {
        bail!("the accounts' funds summed from their postings differ from the export's; nothing was imported");
    }
    transfer::check_ledger(&mut tx)
        .await
        .context("nothing was imported")?;
    transfer::continue_numbering(&mut tx).await?;
    tx.commit().await?;
    store.close().await;
    bar.finish_and_clear();
    Ok(Moved {
        rows: imported.values().sum(),
        tables: imported.len(),
        accounts: sums.len(),
    })
}

/// What `tenure backup` copied and checked.
pub struct BackedUp {
    pub pages: u64,
    pub accounts: usize,
}

/// `tenure backup`: SQLite's online backup of `db` into `file`, then the copy opened as a
/// database and its ledger checked (entries balance, running totals equal their postings).
pub async fn backup(db: &str, file: &Path) -> anyhow::Result<BackedUp> {
    if !db.starts_with("sqlite:") {
        bail!(
            "tenure backup copies a SQLite database; back PostgreSQL up with its own tools: \
             pg_dump --format=custom --file {} '{db}' (restore into an empty database with \
             pg_restore --dbname URL FILE), or tenure export",
            file.display()
        );
    }
    let (source, target) = (db.to_string(), file.to_path_buf());
    let pages = tokio::task::spawn_blocking(move || tenure_store::backup::sqlite(&source, &target))
        .await??;
    let copy = Store::open_unmigrated(&format!("sqlite://{}", file.display())).await?;
    let mut snapshot = copy.snapshot().await?;
    snapshot
        .check_ledger()
        .await
        .context("the copy's ledger does not check")?;
    let accounts = snapshot.account_sums().await?.len();
    snapshot.finish().await?;
    copy.close().await;
    Ok(BackedUp { pages, accounts })
}

fn write_line(out: &mut impl Write, line: &Json) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn columns_json(columns: &[Column]) -> Json {
    columns
        .iter()
        .map(|column| {
            let kind = match column.column_type {
                ColumnType::Integer => "integer",
                ColumnType::Text => "text",
            };
            json!({ "name": column.name, "type": kind })
        })
        .collect()
}

/// The export's columns of `table`, which must be this database's, in any order.
async fn columns_from_json(
    listed: &Json,
    store: &Store,
    table: &Table,
) -> anyhow::Result<Vec<Column>> {
    let here = transfer::columns_here(store, table).await?;
    let names: Vec<&str> = listed
        .as_array()
        .map(|columns| columns.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    let mut columns = Vec::with_capacity(names.len());
    for name in &names {
        let Some(column) = here.iter().find(|column| column.name == *name) else {
            bail!("column {name} is not in this database's schema");
        };
        columns.push(column.clone());
    }
    if columns.len() != here.len() {
        bail!(
            "{} columns exported, this database has {}",
            columns.len(),
            here.len()
        );
    }
    Ok(columns)
}

fn value_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(number) => json!(number),
        Value::Text(text) => json!(text),
    }
}

fn value_from_json(value: Json, column: &Column) -> anyhow::Result<Value> {
    Ok(match (value, column.column_type) {
        (Json::Null, _) => Value::Null,
        (Json::Number(number), ColumnType::Integer) => match number.as_i64() {
            Some(number) => Value::Integer(number),
            None => bail!("{}: {number} is not a whole number", column.name),
        },
        (Json::String(text), ColumnType::Text) => Value::Text(text),
        (other, _) => bail!("{}: {other} is not a value of its type", column.name),
    })
}

fn sums_json(sums: &AccountSums) -> Json {
    json!([
        sums.account_id,
        sums.balance_minor,
        sums.coupons_minor,
        sums.vouchers_minor
    ])
}
