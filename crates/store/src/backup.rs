//! A consistent copy of a SQLite database while it serves: SQLite's online backup, every page
//! in one step, so the copy is read in one read transaction (the database as of one moment)
//! while writers go on beside it (WAL). Written beside the target and renamed once whole and
//! on disk, so a file of the target's name is always a whole backup.

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};

use crate::connect::StoreError;
use crate::database::DatabaseError;

/// Copies the SQLite database of `url` into `file`; returns the pages copied.
pub fn sqlite(url: &str, file: &Path) -> Result<u64, StoreError> {
    let source = crate::database::open_sqlite_file(&crate::database::sqlite_path_of(url)?)?;
    let partial = file.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut copy = rusqlite::Connection::open(&partial).map_err(DatabaseError::from)?;
    let pages = {
        let backup = Backup::new(&source, &mut copy).map_err(DatabaseError::from)?;
        loop {
            // -1: every page in one step, one read transaction. A step that finds the source
            // busy (a checkpoint holding it, say) is taken again after a pause.
            match backup.step(-1).map_err(DatabaseError::from)? {
                StepResult::Done => break,
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        backup.progress().pagecount as u64
    };
    // The copy is a database of its own: its log folded into its file before it is closed.
    copy.pragma_update(None, "journal_mode", "DELETE")
        .map_err(DatabaseError::from)?;
    copy.close()
        .map_err(|(_, error)| DatabaseError::from(error))?;
    std::fs::File::open(&partial)
        .and_then(|written| written.sync_all())
        .map_err(|error| DatabaseError::Other(format!("{}: {error}", partial.display())))?;
    std::fs::rename(&partial, file)
        .map_err(|error| DatabaseError::Other(format!("{}: {error}", file.display())))?;
    Ok(pages)
}
