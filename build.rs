//! Records the git revision the binary is built from (`PARKSIM_GIT_REV`,
//! "unknown" outside a git checkout), for the provenance a sweep writes.
//! Reruns only when the checked-out commit changes, so an ordinary edit
//! does not rebuild more than it would without this script.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    // The commit only: whether the tree had uncommitted edits is not
    // recorded (knowing it would mean rerunning on every edit).
    let rev = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PARKSIM_GIT_REV={rev}");
    // Watch only files that exist (a missing one would rerun every build).
    let mut watch: Vec<PathBuf> = Vec::new();
    if let Some(d) = git(&["rev-parse", "--git-dir"]) {
        watch.push(PathBuf::from(d).join("HEAD"));
    }
    if let Some(c) = git(&["rev-parse", "--git-common-dir"]) {
        let common = PathBuf::from(c);
        watch.push(common.join("packed-refs"));
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch.push(common.join(r));
        }
    }
    let mut any = false;
    for p in watch.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
        any = true;
    }
    if !any {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
