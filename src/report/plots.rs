//! The plots of a result directory: every `*.svg` in it (whatever the
//! plot step drew), in a stable order, embedded in the page.
//!
//! # Order
//! Metric plots (`<metric>_by_<parameter>`, `<quantity>_by_time_of_day`)
//! first, then heatmaps (`heatmap_*`), then any other SVG; by file name
//! within each group.
//!
//! # Embedding
//! An SVG is written into the page as it is (its XML prolog dropped), so
//! its text can be selected and it scales with the page — when it passes
//! [`inline_safe`]: no scripts, no event handlers, no foreign objects, no
//! references outside itself. Any other SVG is embedded as an `<img>` of a
//! `data:` URL, where a browser neither runs its scripts nor fetches what
//! it references.

use super::html::Html;
use base64::Engine as _;
use std::path::{Path, PathBuf};

/// One plot to embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// The file name without `.svg`.
    pub stem: String,
    pub svg: String,
}

impl Plot {
    /// A caption from the file name: `walkin_blocking_rate_by_garage_reservable_stalls`
    /// → "walkin blocking rate by garage reservable stalls".
    pub fn caption(&self) -> String {
        let (lead, rest) = match self.stem.strip_prefix("heatmap_") {
            Some(r) => ("Heatmap: ", r),
            None => ("", self.stem.as_str()),
        };
        let words = rest.replace("_by_", " by ").replace('_', " ");
        let mut c = format!("{lead}{words}");
        if let Some(first) = c.get(..1) {
            c = first.to_uppercase() + &c[1..];
        }
        c
    }

    /// The plot as page markup (see the module doc).
    pub fn embed(&self) -> Html {
        let body = strip_prolog(&self.svg);
        if inline_safe(body) {
            Html::checked(body.to_string())
        } else {
            let url = format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(self.svg.as_bytes())
            );
            Html::tag(
                "div",
                &[],
                Html::checked(format!(
                    "<img src=\"{}\" alt=\"{}\">",
                    super::html::escape(&url),
                    super::html::escape(&self.caption())
                )),
            )
        }
    }
}

fn group(stem: &str) -> u8 {
    if stem.starts_with("heatmap_") {
        1
    } else if stem.contains("_by_") {
        0
    } else {
        2
    }
}

/// The SVG files of `dir`, in the order of the module doc.
pub fn svg_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg") && p.is_file())
        .collect();
    files.sort_by_key(|p| {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        (group(&stem), stem)
    });
    Ok(files)
}

/// The plots of `dir`, read.
pub fn read_plots(dir: &Path) -> Result<Vec<Plot>, String> {
    svg_files(dir)?
        .into_iter()
        .map(|p| {
            let svg = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            Ok(Plot { stem, svg })
        })
        .collect()
}

/// The document without an XML declaration, comments or a doctype before
/// its root element.
fn strip_prolog(svg: &str) -> &str {
    let mut s = svg.trim_start();
    loop {
        let end = if s.starts_with("<?") {
            s.find("?>").map(|i| i + 2)
        } else if s.starts_with("<!--") {
            s.find("-->").map(|i| i + 3)
        } else if s.starts_with("<!DOCTYPE") || s.starts_with("<!doctype") {
            s.find('>').map(|i| i + 1)
        } else {
            return s.trim_end();
        };
        match end {
            Some(e) => s = s[e..].trim_start(),
            None => return s,
        }
    }
}

/// Whether an SVG document (prolog dropped) may go into the page as
/// markup: one `<svg>` root, closed at the end, and nothing that runs
/// code or fetches: no `<script`, `<foreignObject`, `<iframe`, `<!`
/// (entities), `javascript:`, `on…=` event attribute, or `href`/`src`/
/// `url(` other than to a fragment of itself.
pub fn inline_safe(svg: &str) -> bool {
    let lower = svg.to_ascii_lowercase();
    if !lower.starts_with("<svg")
        || !lower.ends_with("</svg>")
        || lower.matches("<svg").count() != 1
    {
        return false;
    }
    const BANNED: [&str; 9] = [
        "<script",
        "<foreignobject",
        "<iframe",
        "<object",
        "<embed",
        "<!",
        "javascript:",
        "@import",
        "<style",
    ];
    if BANNED.iter().any(|b| lower.contains(b)) {
        return false;
    }
    // References in style values: only to fragments (`#id`).
    for (i, _) in lower.match_indices("url(") {
        let target = lower[i + 4..].trim_start_matches(['"', '\'', ' ']);
        if !target.starts_with('#') {
            return false;
        }
    }
    attributes_safe(&lower)
}

/// Every attribute of every tag of `lower` (lowercased SVG): none named
/// `on…` (event handlers), and every `href`/`src` (`xlink:href` too) a
/// fragment (`#id`). Attributes are found by their `=` outside quoted
/// values, however they are spaced or run together (`x="1"onclick=…`,
/// `<image/onerror=…`, `href = "…"`, unquoted values).
fn attributes_safe(lower: &str) -> bool {
    let b = lower.as_bytes();
    let name_byte = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.');
    let mut i = 0;
    let mut in_tag = false;
    while i < b.len() {
        let c = b[i];
        if !in_tag {
            in_tag = c == b'<';
            i += 1;
            continue;
        }
        match c {
            b'>' => in_tag = false,
            b'"' | b'\'' => {
                // A quoted value not after `=`: skip it whole.
                i += lower[i + 1..].find(c as char).map_or(b.len(), |n| n + 1);
            }
            b'=' => {
                let mut s = i;
                while s > 0 && b[s - 1].is_ascii_whitespace() {
                    s -= 1;
                }
                let end = s;
                while s > 0 && name_byte(b[s - 1]) {
                    s -= 1;
                }
                let name = &lower[s..end];
                let mut v = i + 1;
                while v < b.len() && b[v].is_ascii_whitespace() {
                    v += 1;
                }
                let (value, next) = match b.get(v) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let close = lower[v + 1..]
                            .find(q as char)
                            .map_or(b.len(), |n| v + 1 + n);
                        (&lower[v + 1..close], close + 1)
                    }
                    _ => {
                        let stop = lower[v..]
                            .find(|ch: char| ch.is_ascii_whitespace() || ch == '>')
                            .map_or(b.len(), |n| v + n);
                        (&lower[v..stop], stop)
                    }
                };
                let reference = name == "src" || name == "href" || name.ends_with(":href");
                if name.starts_with("on") || (reference && !value.trim().starts_with('#')) {
                    return false;
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn only_plain_drawings_go_inline() {
        let ok = r##"<svg width="10" height="10" xmlns="http://www.w3.org/2000/svg"><rect x="0" width="1" fill="url(#g)"/><text font-size="3" opacity="1">on = off</text></svg>"##;
        assert!(inline_safe(ok));
        // Names that merely contain "on" or "href", values that mention
        // them, fragments however spaced: still plain drawings.
        let ok2 = r##"<svg><polygon points="0,0 1,1" font-family="sans" data-x="onclick=x"/><use xlink:href = '#p'/><a href="#top">src=http://x</a></svg>"##;
        assert!(inline_safe(ok2));
        let bad = [
            "<svg><script>alert(1)</script></svg>",
            "<svg><rect onload=\"alert(1)\"/></svg>",
            "<svg><rect ONCLICK = 'x'/></svg>",
            "<svg><image href=\"http://example.com/x.png\"/></svg>",
            "<svg><use xlink:href='https://example.com/a.svg#x'/></svg>",
            "<svg><rect fill=\"url(http://example.com/f)\"/></svg>",
            "<svg><foreignObject><div/></foreignObject></svg>",
            "<svg><a href=\"javascript:alert(1)\">x</a></svg>",
            "<svg><style>@import 'http://x'</style></svg>",
            "<svg></svg><script>alert(1)</script>",
            "<svg><svg></svg></svg>",
            "<div>not svg</div>",
            // Spacing and quoting that a pattern search misses.
            "<svg><image/onerror=\"alert(1)\" href=\"#a\"/></svg>",
            "<svg><a href = \"https://evil.example/\">x</a></svg>",
            "<svg><rect x=\"1\"onclick=\"alert(2)\"/></svg>",
            "<svg><image href=http://evil.example/x.png /></svg>",
            "<svg><use xlink:href\t=\t'//evil.example/a.svg#x'/></svg>",
            "<svg><rect\nonmouseover='x'/></svg>",
        ];
        for b in bad {
            assert!(!inline_safe(b), "{b}");
        }
    }

    #[test]
    fn unsafe_svgs_become_images_and_prologs_go() {
        let p = Plot {
            stem: "x_by_y".into(),
            svg: "<?xml version=\"1.0\"?>\n<!-- made -->\n<svg><rect/></svg>\n".into(),
        };
        assert_eq!(p.embed().as_str(), "<svg><rect/></svg>");
        let evil = Plot {
            stem: "evil".into(),
            svg: "<svg><script>alert(1)</script></svg>".into(),
        };
        let h = evil.embed().into_string();
        assert!(
            h.starts_with("<div><img src=\"data:image/svg+xml;base64,"),
            "{h}"
        );
        assert!(!h.contains("<script"), "{h}");
    }

    #[test]
    fn captions_read_the_file_name() {
        let cases = [
            (
                "walkin_blocking_rate_by_garage_reservable_stalls",
                "Walkin blocking rate by garage reservable stalls",
            ),
            ("heatmap_p95_wait_s_a_b", "Heatmap: p95 wait s a b"),
            ("queue_by_time_of_day", "Queue by time of day"),
        ];
        for (stem, want) in cases {
            let p = Plot {
                stem: stem.into(),
                svg: String::new(),
            };
            assert_eq!(p.caption(), want);
        }
    }
}
