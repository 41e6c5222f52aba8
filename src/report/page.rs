//! The page: one HTML document, its style inline, no script, and a
//! Content-Security-Policy that forbids every fetch (styles inline, images
//! only as `data:` URLs), so a browser opening it asks the network for
//! nothing.

use super::html::{Html, escape};
use super::plots::Plot;
use crate::planner::output::{GIT_REVISION, VERSION};

const CSS: &str = "\
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 1.5em;color:#222;line-height:1.4}\
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\
.sub{color:#555;margin-top:0}\
nav ul{padding-left:1.2em;columns:2}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}\
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr.meets td{background:#eef8ee}\
code,pre{font-family:ui-monospace,monospace;font-size:.9em}\
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;max-height:40em}\
details{margin:.6em 0}summary{cursor:pointer;font-weight:600}\
figure{margin:1.2em 0}figure svg,figure img{max-width:100%;height:auto;display:block}\
figcaption{font-weight:600;margin-bottom:.3em}\
.note{color:#555}.bad{color:#a00;font-weight:600}.good{color:#070;font-weight:600}\
footer{margin-top:2em;color:#777;font-size:.85em}";

/// One section of the page.
#[derive(Debug, Clone)]
pub struct Section {
    /// The anchor (`#id`); written in the source.
    pub id: &'static str,
    pub title: String,
    pub body: Html,
}

/// A page being built.
#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
}

impl Page {
    pub fn section(&mut self, id: &'static str, title: &str, body: Html) {
        self.sections.push(Section {
            id,
            title: title.to_string(),
            body,
        });
    }

    /// The whole document.
    pub fn render(&self) -> String {
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; img-src data:\">\n",
        );
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.push_str(&format!("<title>{}</title>\n", escape(&self.title)));
        h.push_str(&format!("<style>{CSS}</style>\n</head>\n<body>\n"));
        h.push_str(&format!(
            "<header><h1>{}</h1><p class=\"sub\">{}</p></header>\n",
            escape(&self.title),
            escape(&self.subtitle)
        ));
        let mut nav = Html::new();
        for s in &self.sections {
            let a = Html::tag(
                "a",
                &[("href", &format!("#{}", s.id))],
                Html::text(&s.title),
            );
            nav.push(Html::tag("li", &[], a));
        }
        h.push_str(&format!("<nav><ul>{}</ul></nav>\n", nav.into_string()));
        for s in &self.sections {
            h.push_str(&format!(
                "<section id=\"{}\">\n<h2>{}</h2>\n{}\n</section>\n",
                escape(s.id),
                escape(&s.title),
                s.body.as_str()
            ));
        }
        h.push_str(&format!(
            "<footer>Written by parksim {} (revision {}) from the files of this directory; \
             one self-contained file: no script, nothing fetched.</footer>\n</body>\n</html>\n",
            escape(VERSION),
            escape(GIT_REVISION)
        ));
        h
    }
}

/// The plots section's body: each plot under its caption and file name.
pub fn plots(plots: &[Plot]) -> Html {
    if plots.is_empty() {
        return super::html::para(
            "No plots in this directory (`parksim plot DIR` draws them; a sweep without a \
             numeric swept parameter has none).",
        );
    }
    plots
        .iter()
        .map(|p| {
            let mut cap = Html::text(&p.caption());
            cap.push_markup(" <span class=\"note\">(")
                .push(Html::el("code", &format!("{}.svg", p.stem)))
                .push_markup(")</span>");
            let mut fig = Html::tag("figcaption", &[], cap);
            fig.push(p.embed());
            Html::tag("figure", &[("class", "plot")], fig)
        })
        .collect()
}

/// A JSON value of `provenance.json` as text: strings as they are, a list
/// joined with "; " (`none` when empty), `null` as `none`.
pub fn json_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(json_text).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// A TOML value as a short text: strings bare, arrays of tables by their
/// names (`A (reserved), B (general)`), tables as `key = value, …`.
pub fn toml_text(v: &toml::Value) -> String {
    use toml::Value;
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(Value::is_table) && !a.is_empty() => a
            .iter()
            .map(|t| {
                let name = t.get("name").map(toml_text);
                let kind = t.get("kind").map(toml_text);
                match (name, kind) {
                    (Some(n), Some(k)) => format!("{n} ({k})"),
                    (Some(n), None) => n,
                    _ => toml_text_inline(t),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Table(t) if t.len() == 2 && t.contains_key("on") && t.contains_key("off") => {
            format!("{}–{}", toml_text(&t["on"]), toml_text(&t["off"]))
        }
        Value::Table(_) => toml_text_inline(v),
        other => other.to_string(),
    }
}

fn toml_text_inline(v: &toml::Value) -> String {
    match v.as_table() {
        Some(t) => t
            .iter()
            .map(|(k, x)| format!("{k} = {}", toml_text(x)))
            .collect::<Vec<_>>()
            .join(", "),
        None => toml_text(v),
    }
}

/// The value at a dotted key of a TOML table.
pub fn toml_get<'a>(t: &'a toml::Table, dotted: &str) -> Option<&'a toml::Value> {
    let mut parts = dotted.split('.');
    let mut v = t.get(parts.next()?)?;
    for p in parts {
        v = v.as_table()?.get(p)?;
    }
    Some(v)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn toml_values_read_short() {
        let t: toml::Table = toml::from_str(
            "a = \"x\"\nb = [1, 2]\nc = []\n[d]\non = \"07:30\"\noff = \"19:30\"\n[f]\nb = \"x\"\na = 1\n\
             [[e]]\nname = \"A\"\nkind = \"reserved\"\n[[e]]\nname = \"B\"\n",
        )
        .unwrap();
        let cases = [
            ("a", "x"),
            ("b", "[1, 2]"),
            ("c", "none"),
            ("d", "07:30–19:30"),
            ("f", "a = 1, b = x"),
            ("d.on", "07:30"),
            ("e", "A (reserved), B"),
        ];
        for (k, want) in cases {
            assert_eq!(toml_text(toml_get(&t, k).unwrap()), want, "{k}");
        }
        assert!(toml_get(&t, "d.x").is_none());
    }

    #[test]
    fn the_page_forbids_fetches_and_escapes_titles() {
        let mut p = Page {
            title: "<script>alert(1)</script>".into(),
            subtitle: "s".into(),
            sections: Vec::new(),
        };
        p.section("one", "<b>", Html::text("x"));
        let h = p.render();
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("default-src 'none'"));
        assert!(h.contains("<a href=\"#one\">&lt;b&gt;</a>"), "{h}");
    }
}
