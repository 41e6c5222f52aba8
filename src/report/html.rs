//! HTML that is safe by construction: [`Html`] holds markup, and text
//! from files enters it only through [`Html::text`] or an attribute value,
//! both escaped. Markup itself comes from `&'static str` (written here, in
//! the source) or from an SVG that [`super::plots`] checked.

/// `&`, `<`, `>`, `"` and `'` as character references: safe in element
/// content and in a quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A piece of markup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Html(String);

impl Html {
    pub fn new() -> Html {
        Html(String::new())
    }

    /// Text, escaped.
    pub fn text(s: &str) -> Html {
        Html(escape(s))
    }

    /// Markup written in the source.
    pub fn markup(s: &'static str) -> Html {
        Html(s.to_string())
    }

    /// Markup checked elsewhere (an SVG document that passed
    /// [`super::plots::inline_safe`]); the only way in for other markup.
    pub(super) fn checked(s: String) -> Html {
        Html(s)
    }

    /// `<name attr="value" …>inner</name>`, the values escaped.
    pub fn tag(name: &'static str, attrs: &[(&'static str, &str)], inner: Html) -> Html {
        let mut s = format!("<{name}");
        for (k, v) in attrs {
            s.push_str(&format!(" {k}=\"{}\"", escape(v)));
        }
        s.push('>');
        s.push_str(&inner.0);
        s.push_str(&format!("</{name}>"));
        Html(s)
    }

    /// `<name>` with escaped text inside.
    pub fn el(name: &'static str, text: &str) -> Html {
        Html::tag(name, &[], Html::text(text))
    }

    pub fn push(&mut self, h: Html) -> &mut Html {
        self.0.push_str(&h.0);
        self
    }

    pub fn push_text(&mut self, s: &str) -> &mut Html {
        self.0.push_str(&escape(s));
        self
    }

    pub fn push_markup(&mut self, s: &'static str) -> &mut Html {
        self.0.push_str(s);
        self
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromIterator<Html> for Html {
    fn from_iter<I: IntoIterator<Item = Html>>(iter: I) -> Html {
        let mut h = Html::new();
        for x in iter {
            h.push(x);
        }
        h
    }
}

/// One table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, left-aligned.
    Text(String),
    /// A number (or `n/a`), right-aligned.
    Num(String),
    /// A key or value shown as code.
    Code(String),
    /// Markup built elsewhere.
    Html(Html),
}

impl Cell {
    fn render(&self) -> Html {
        match self {
            Cell::Text(s) => Html::el("td", s),
            Cell::Num(s) => Html::tag("td", &[("class", "num")], Html::text(s)),
            Cell::Code(s) => Html::tag("td", &[], Html::el("code", s)),
            Cell::Html(h) => Html::tag("td", &[], h.clone()),
        }
    }
}

/// A table: a header row and rows of cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) -> &mut Table {
        self.rows.push(cells);
        self
    }

    /// The table inside a horizontally scrolling box.
    pub fn render(&self) -> Html {
        let head: Html = self.header.iter().map(|h| Html::el("th", h)).collect();
        let mut body = Html::new();
        body.push(Html::tag("tr", &[], head));
        for r in &self.rows {
            body.push(Html::tag("tr", &[], r.iter().map(Cell::render).collect()));
        }
        Html::tag("div", &[("class", "scroll")], Html::tag("table", &[], body))
    }
}

/// `<details><summary>…</summary>…</details>`: shown on a click, no script.
pub fn details(summary: &str, inner: Html) -> Html {
    let mut h = Html::el("summary", summary);
    h.push(inner);
    Html::tag("details", &[], h)
}

/// A paragraph of text.
pub fn para(text: &str) -> Html {
    Html::el("p", text)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let cases = [
            ("plain", "plain"),
            ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
            ("a & b", "a &amp; b"),
            ("\"q\" 'r'", "&quot;q&quot; &#39;r&#39;"),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want);
            assert_eq!(Html::text(input).as_str(), want);
        }
        let t = Html::tag("a", &[("title", "\"><img src=x>")], Html::text("<b>"));
        assert_eq!(
            t.as_str(),
            "<a title=\"&quot;&gt;&lt;img src=x&gt;\">&lt;b&gt;</a>"
        );
    }

    #[test]
    fn tables_escape_every_cell() {
        let mut t = Table::new(["<h>"]);
        t.row(vec![Cell::Text("<t>".into())]);
        t.row(vec![Cell::Num("1 < 2".into())]);
        t.row(vec![Cell::Code("</code>".into())]);
        let s = t.render().into_string();
        assert!(!s.contains("<h>") && !s.contains("<t>") && !s.contains("</code></code>"));
        assert!(s.contains("<th>&lt;h&gt;</th>"), "{s}");
        assert!(s.contains("<td class=\"num\">1 &lt; 2</td>"), "{s}");
    }
}
