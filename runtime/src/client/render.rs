//! Plain-text tables: a header row and left-aligned columns separated by two spaces.

/// Renders `rows` under `headers`, each column as wide as its widest cell. Missing cells are
/// blank, line breaks and tabs inside a cell are escaped so a row stays on one line, and no line
/// ends in padding. The result ends with a newline.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).fold(headers.len(), usize::max);
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let lines: Vec<Vec<String>> = std::iter::once(&header)
        .chain(rows)
        .map(|row| {
            (0..columns)
                .map(|i| row.get(i).map_or_else(String::new, |cell| one_line(cell)))
                .collect()
        })
        .collect();
    let mut widths = vec![0; columns];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (i, (cell, width)) in line.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            text.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

fn one_line(cell: &str) -> String {
    cell.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn columns_align_to_the_widest_cell() {
        let out = table(
            &["NAME", "STATE"],
            &[row(&["file-source", "RUNNING"]), row(&["pg", "FAILED"])],
        );
        assert_eq!(
            out,
            "NAME         STATE\n\
             file-source  RUNNING\n\
             pg           FAILED\n"
        );
    }

    #[test]
    fn a_wide_header_sets_the_width() {
        let out = table(&["IDENTIFIER", "X"], &[row(&["a", "b"])]);
        assert_eq!(out, "IDENTIFIER  X\na           b\n");
    }

    #[test]
    fn no_rows_prints_the_header_only() {
        assert_eq!(table(&["NAME", "TYPE"], &[]), "NAME  TYPE\n");
    }

    #[test]
    fn trailing_padding_is_trimmed_and_blank_cells_keep_alignment() {
        let out = table(
            &["ID", "STATE", "TRACE"],
            &[row(&["connector", "RUNNING", ""]), row(&["0", "", "boom"])],
        );
        assert_eq!(
            out,
            "ID         STATE    TRACE\n\
             connector  RUNNING\n\
             0                   boom\n"
        );
    }

    #[test]
    fn short_and_long_rows_are_padded_to_the_widest() {
        let out = table(&["A", "B"], &[row(&["1"]), row(&["2", "x", "extra"])]);
        assert_eq!(out, "A  B\n1\n2  x  extra\n");
    }

    #[test]
    fn width_counts_characters_not_bytes() {
        let out = table(&["NAME", "N"], &[row(&["café", "1"]), row(&["tea", "2"])]);
        assert_eq!(out, "NAME  N\ncafé  1\ntea   2\n");
    }

    #[test]
    fn line_breaks_in_cells_are_escaped() {
        let out = table(&["KEY", "VALUE"], &[row(&["pem", "line1\nline2\tx\\y"])]);
        assert_eq!(out, "KEY  VALUE\npem  line1\\nline2\\tx\\\\y\n");
        assert_eq!(out.lines().count(), 2);
    }
}
