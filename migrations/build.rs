//! Build script (Cargo.toml `build`): embeds each backend's migrations (`migrations/sqlite`, `migrations/postgres`)
//! as a list of (file name, SQL) that `store::migrations` turns into sqlx
//! migrations. This replaces `sqlx::migrate!`, whose proc macro compiles a
//! second copy of sqlx and of the bundled SQLite for the build host: a
//! release build from a fresh clone is about a minute shorter without it.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for backend in ["sqlite", "postgres"] {
        let dir = Path::new("migrations").join(backend);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the migrations folder is readable")
            .map(|entry| entry.expect("a migrations folder entry is readable").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
            .collect();
        files.sort();
        let mut code = String::from("&[\n");
        for path in files {
            let name = path
                .file_name()
                .expect("a file has a name")
                .to_string_lossy();
            let absolute = path.canonicalize().expect("a migration file resolves");
            println!("cargo:rerun-if-changed={}", path.display());
            writeln!(
                code,
                "    ({name:?}, include_str!({:?})),",
                absolute.display()
            )
            .expect("writing to a String succeeds");
        }
        code.push_str("]\n");
        std::fs::write(
            Path::new(&out_dir).join(format!("migrations_{backend}.rs")),
            code,
        )
        .expect("OUT_DIR is writable");
    }
}
