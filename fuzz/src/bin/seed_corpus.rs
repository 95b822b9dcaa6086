//! Writes each target's seeds (`chatwire_fuzz::seeds`) into `fuzz/corpus/<target>/seed-N`,
//! where `cargo fuzz run <target>` starts from. Idempotent: the same files each run.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, _) in chatwire_fuzz::TARGETS {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("create the corpus folder");
        let seeds = chatwire_fuzz::seeds::of(name);
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:03}")), seed).expect("write a seed");
        }
        println!("{name}: {} seeds in {}", seeds.len(), dir.display());
    }
}
