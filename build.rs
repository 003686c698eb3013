//! Rebuilds when a migration is added: `embed_migrations!` only tracks the files it
//! already knew, so a new migration folder would otherwise be left out of the binary.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
