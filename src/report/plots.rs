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
    let bytes = lower.as_bytes();
    // Attributes named on…: whitespace, "on", letters, optional space, "=".
    for (i, w) in lower.match_indices("on") {
        let _ = w;
        if i == 0 || !bytes[i - 1].is_ascii_whitespace() {
            continue;
        }
        let rest = &lower[i + 2..];
        let name_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        if name_len > 0 && rest[name_len..].trim_start().starts_with('=') {
            return false;
        }
    }
    // References: only to fragments (`#id`).
    for marker in ["href=\"", "href='", "src=\"", "src='", "url("] {
        for (i, _) in lower.match_indices(marker) {
            let target = lower[i + marker.len()..].trim_start_matches(['"', '\'', ' ']);
            if !target.starts_with('#') {
                return false;
            }
        }
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
