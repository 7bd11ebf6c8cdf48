//! Generates the LALRPOP parser from `grammar/arr.lalrpop` into OUT_DIR.
fn main() {
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .emit_rerun_directives(true)
        .process()
        .expect("grammar/arr.lalrpop must be a valid LALRPOP grammar");
}
