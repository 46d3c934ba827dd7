//! The README's worked example, run as written: every `$ ansinh …` line is
//! executed and its output compared with the lines the README shows under it
//! (hashes and timings, which differ on every run, are masked on both sides).

use crate::support::harness::Suite;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

pub fn register(suite: &mut Suite) {
    register!(suite;
        test: the_worked_example_prints_what_the_readme_shows,
        test: masking_hides_only_hashes_and_timings,
    );
}

const README: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
const BIN: &str = env!("CARGO_BIN_EXE_ansinh");

/// Splits a shell line into words, honouring '…' and "…" quotes.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

fn masked(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut hex_run = String::new();
            for c in line.chars() {
                if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
                    hex_run.push(c);
                    continue;
                }
                out.push_str(if hex_run.len() == 64 {
                    "<hash>"
                } else {
                    &hex_run
                });
                hex_run.clear();
                out.push(c);
            }
            out.push_str(if hex_run.len() == 64 {
                "<hash>"
            } else {
                &hex_run
            });
            match out.find("verified in ") {
                Some(start) => {
                    let end = out[start..]
                        .find(" ms")
                        .map(|e| start + e)
                        .unwrap_or(out.len());
                    format!("{}verified in N{}", &out[..start], &out[end..])
                }
                None => out,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

struct Step {
    command: String,
    expected: Vec<String>,
}

fn example_steps() -> Vec<Step> {
    let start = README
        .find("<!-- example:start -->")
        .expect("example start marker");
    let end = README
        .find("<!-- example:end -->")
        .expect("example end marker");
    let mut steps: Vec<Step> = Vec::new();
    for line in README[start..end].lines() {
        if line.starts_with("```") || line.starts_with("<!--") {
            continue;
        }
        match line.strip_prefix("$ ") {
            Some(command) => steps.push(Step {
                command: command.to_string(),
                expected: Vec::new(),
            }),
            None => {
                if let Some(step) = steps.last_mut() {
                    step.expected.push(line.to_string());
                }
            }
        }
    }
    steps
}

fn run(dir: &Path, env: &HashMap<String, String>, args: &[String]) -> String {
    let output = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("ANSINH_DATABASE_URL")
        .env_remove("ANSINH_USER")
        .env_remove("ANSINH_PASSWORD")
        .env_remove("ANSINH_NEW_PASSWORD")
        .envs(env)
        .output()
        .expect("run ansinh");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn the_worked_example_prints_what_the_readme_shows() {
    let dir = tempfile::tempdir().expect("dir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("imports"),
        &dir.path().join("imports"),
    );
    let mut env = HashMap::new();
    let steps = example_steps();
    assert!(steps.len() > 10, "the example has its steps");
    for step in steps {
        let words = words(&step.command);
        match words.first().map(String::as_str) {
            Some("export") => {
                for assignment in &words[1..] {
                    let (key, value) = assignment.split_once('=').expect("KEY=value");
                    env.insert(key.to_string(), value.to_string());
                }
                assert!(step.expected.is_empty());
            }
            Some("ansinh") => {
                let printed = run(dir.path(), &env, &words[1..]);
                assert_eq!(
                    masked(&printed),
                    masked(&step.expected.join("\n")),
                    "output of `{}`",
                    step.command
                );
            }
            other => panic!("unexpected command {other:?}"),
        }
    }
}

fn masking_hides_only_hashes_and_timings() {
    let hash = "ab".repeat(32);
    assert_eq!(masked(&format!("entry 2:{hash} ok")), "entry 2:<hash> ok");
    assert_eq!(masked("verified in 11 ms; head"), "verified in N ms; head");
    assert_eq!(masked("1.500.000 paid"), "1.500.000 paid");
}
