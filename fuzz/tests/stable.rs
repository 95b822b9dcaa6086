//! The fuzz targets on stable, without libFuzzer: each target's seeds (from core/tests/fixtures)
//! mutated by a seeded RNG (byte flips, JSON tokens swapped in, cuts, splices between seeds,
//! lines repeated or swapped), the same bodies the libFuzzer binaries run.
//!
//! Bounded by a count, not a clock: `CHATWIRE_FUZZ_ITERS` mutated inputs per target (default
//! 200, a few seconds; the test command runs more), from seed `CHATWIRE_FUZZ_SEED` (default 14).
//! A broken invariant prints the input and where it was saved (fuzz/artifacts/stable/), which
//! `cargo fuzz run <target> <file>` replays.

use chatwire::internals::Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Tokens that tend to break parsers and cursors, swapped in for bytes of a seed.
const TOKENS: &[&str] = &[
    "null",
    "0",
    "-1",
    "1.5",
    "1e300",
    "-1e300",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "4294967296",
    "\"\"",
    "\"x\"",
    "[]",
    "{}",
    "true",
    "[null]",
    "{\"jid\":1}",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\u{fffd}",
    ",",
    ":",
    "\"",
    "{",
    "}",
    "[",
    "]",
    "\n",
    "\"type\":1",
    "\"id\":",
    "\"confirm_id\":\"c1\"",
    "\"gentime\":",
    "\"messages\":[",
    "\"chat_counters\":[",
    "\"ocs\":{\"meta\":{\"statuscode\":200},\"data\":",
];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &mut Vec<u8>) {
    let pick = |rng: &mut Rng, n: usize| rng.below(n.max(1) as u64) as usize;
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = pick(rng, len);
                input[i] ^= 1 << rng.below(8);
            }
            1 | 2 => {
                let token = TOKENS[pick(rng, TOKENS.len())].as_bytes();
                let at = pick(rng, len + 1);
                let cut = if rng.below(2) == 0 {
                    pick(rng, 8).min(len - at)
                } else {
                    0
                };
                input.splice(at..at + cut, token.iter().copied());
            }
            3 if len > 0 => {
                let a = pick(rng, len);
                let b = a + pick(rng, len - a);
                input.drain(a..b);
            }
            4 => {
                let other = &seeds[pick(rng, seeds.len())];
                let from = pick(rng, other.len());
                let to = from + pick(rng, other.len() - from + 1);
                let at = pick(rng, len + 1);
                input.splice(at..at, other[from..to].iter().copied());
            }
            5 => {
                // Repeat a line (redeliveries) or swap two (reorders).
                let mut lines: Vec<Vec<u8>> =
                    input.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                let i = pick(rng, lines.len());
                let j = pick(rng, lines.len());
                if rng.below(2) == 0 {
                    let line = lines[i].clone();
                    lines.insert(j, line);
                } else {
                    lines.swap(i, j);
                }
                *input = lines.join(&b'\n');
            }
            6 => {
                // A number replaced by an extreme one.
                if let Some(i) = input.iter().position(|b| b.is_ascii_digit()) {
                    let start = i + pick(rng, input.len() - i);
                    if let Some(d) = input[start..].iter().position(|b| b.is_ascii_digit()) {
                        let at = start + d;
                        let end = at
                            + input[at..]
                                .iter()
                                .take_while(|b| b.is_ascii_digit())
                                .count();
                        let token =
                            ["-1", "0", "1e300", "18446744073709551616", "1.5"][pick(rng, 5)];
                        input.splice(at..end, token.bytes());
                    }
                }
            }
            _ => {
                let other = &seeds[pick(rng, seeds.len())];
                input.push(b'\n');
                input.extend_from_slice(other);
            }
        }
    }
    input.truncate(256 * 1024);
}

fn run(name: &str, target: fn(&[u8])) {
    let iters = env_u64("CHATWIRE_FUZZ_ITERS", 200);
    let seed = env_u64("CHATWIRE_FUZZ_SEED", 14);
    let seeds = chatwire_fuzz::seeds::of(name);
    assert!(!seeds.is_empty(), "{name} has no seeds");
    let mut rng = Rng::new(seed ^ (name.len() as u64) ^ ((name.as_bytes()[0] as u64) << 8));
    let check = |input: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/stable");
            std::fs::create_dir_all(&dir).expect("artifacts folder");
            let path = dir.join(format!("{name}-seed{seed}"));
            std::fs::write(&path, input).expect("save the input");
            panic!(
                "{name}: invariant broken by the input saved in {} ({:?})",
                path.display(),
                String::from_utf8_lossy(input)
            );
        }
    };
    for s in &seeds {
        check(s);
    }
    for _ in 0..iters {
        let mut input = seeds[rng.below(seeds.len() as u64) as usize].clone();
        mutate(&mut rng, &seeds, &mut input);
        check(&input);
    }
}

#[test]
fn trueconf_frames() {
    run("trueconf_frames", chatwire_fuzz::trueconf_frames);
}

#[test]
fn tada_frames() {
    run("tada_frames", chatwire_fuzz::tada_frames);
}

#[test]
fn talk_http() {
    run("talk_http", chatwire_fuzz::talk_http);
}

#[test]
fn snapshot_restore() {
    run("snapshot_restore", chatwire_fuzz::snapshot_restore);
}

#[test]
fn decode() {
    run("decode", chatwire_fuzz::decode);
}

#[test]
fn one_pass() {
    run("one_pass", chatwire_fuzz::one_pass);
}
