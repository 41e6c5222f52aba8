//! A small CSV reader for the tables parksim writes (RFC 4180: fields in
//! double quotes may hold commas, line breaks and doubled quotes). Every
//! value stays text; an empty field is an undefined value.

/// A CSV table: the header and the rows, each as long as the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    /// Reads `text`; a row with another number of fields than the header
    /// is an error naming its line.
    pub fn parse(text: &str) -> Result<Csv, String> {
        let records = records(text)?;
        let mut it = records.into_iter();
        let Some((_, header)) = it.next() else {
            return Err("empty table (no header)".into());
        };
        let mut rows = Vec::new();
        for (line, r) in it {
            if r.len() == 1 && r[0].is_empty() {
                continue;
            }
            if r.len() != header.len() {
                return Err(format!(
                    "line {line}: {} fields, the header has {}",
                    r.len(),
                    header.len()
                ));
            }
            rows.push(r);
        }
        Ok(Csv { header, rows })
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Row `row`'s value of column `name`: `None` when there is no such
    /// column or the field is empty (undefined).
    pub fn get(&self, row: usize, name: &str) -> Option<&str> {
        let c = self.column(name)?;
        self.rows
            .get(row)
            .map(|r| r[c].as_str())
            .filter(|s| !s.is_empty())
    }

    /// Row `row`'s value of column `name` as a finite number.
    pub fn number(&self, row: usize, name: &str) -> Option<f64> {
        self.get(row, name)?
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
    }
}

/// The records of `text`, each with the line it starts on.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let (mut line, mut start) = (1, 1);
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {start}: a quoted field is not closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    Ok(out)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn reads_quoted_fields_and_empty_values() {
        let cases: [(&str, Vec<Vec<&str>>); 4] = [
            ("a,b\n1,2\n", vec![vec!["1", "2"]]),
            ("a,b\r\n1,\r\n", vec![vec!["1", ""]]),
            (
                "a,b\n\"x, \"\"y\"\"\",\"line\nbreak\"\n3,4",
                vec![vec!["x, \"y\"", "line\nbreak"], vec!["3", "4"]],
            ),
            ("a\n\n", vec![]),
        ];
        for (text, want) in cases {
            let t = Csv::parse(text).unwrap();
            assert_eq!(t.rows, want, "{text:?}");
        }
        let t = Csv::parse("a,b\n1,\n").unwrap();
        assert_eq!(t.get(0, "a"), Some("1"));
        assert_eq!(t.get(0, "b"), None);
        assert_eq!(t.number(0, "a"), Some(1.0));
        assert_eq!(t.get(0, "c"), None);
    }

    #[test]
    fn bad_tables_are_errors() {
        let e = Csv::parse("a,b\n1,2\n3\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        let e = Csv::parse("a\n\"open\n").unwrap_err();
        assert!(e.contains("not closed"), "{e}");
        assert!(Csv::parse("").is_err());
        // NaN is not a number to show.
        assert_eq!(Csv::parse("a\nNaN\n").unwrap().number(0, "a"), None);
    }
}
