//! Records the git commit the binary is built from, for `genopriv --version` and
//! the About box. Outside a git checkout (a source tarball, a vendored copy) the
//! commit is `unknown`, said as such rather than guessed.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    println!(
        "cargo:rustc-env=GENOPRIV_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    // Rebuild when HEAD moves: HEAD itself (branch switches), the branch it points
    // at (new commits) and packed-refs (after `git gc`). `--git-path` resolves
    // them for worktrees too.
    if commit.is_some() {
        let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watched.push(branch);
        }
        for name in watched {
            if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name])
                && Path::new(&path).exists()
            {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    // Without a watched git file Cargo would rerun this script on every source
    // change; this keeps it to the script itself.
    println!("cargo:rerun-if-changed=build.rs");
}
