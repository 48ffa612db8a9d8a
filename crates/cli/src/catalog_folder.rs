//! Reading a catalog folder: the files' texts, handed to the core's checks
//! (`tenure_core::catalog::parse_files`), which do no IO themselves.

use std::path::Path;

use tenure_core::catalog::{parse_files, Catalog, CatalogError, CatalogErrors};

/// Reads every `*.toml` file of `dir` (in name order): one product each, but `notices.toml`,
/// the folder's notice texts.
pub fn load_dir(dir: &Path) -> Result<Catalog, CatalogErrors> {
    let dir_name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|error| {
        CatalogErrors(vec![CatalogError {
            file: dir_name.clone(),
            field: "-".into(),
            problem: format!("cannot read the catalog folder: {error}"),
        }])
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "toml")
        })
        .collect();
    paths.sort();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((path.display().to_string(), text)),
            Err(error) => errors.push(CatalogError {
                file: path.display().to_string(),
                field: "-".into(),
                problem: format!("cannot read the file: {error}"),
            }),
        }
    }
    match parse_files(&files) {
        Ok(catalog) if errors.is_empty() => Ok(catalog),
        Ok(_) => Err(CatalogErrors(errors)),
        Err(CatalogErrors(more)) => {
            errors.extend(more);
            Err(CatalogErrors(errors))
        }
    }
}
