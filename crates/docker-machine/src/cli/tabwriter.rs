//! Go's `text/tabwriter`, for output that scripts and completions parse by position:
//! the original's help (tab padded) and `ls` (space padded) went through it.
//! Cells are tab-terminated; the last cell of a line is not aligned; a column's width is
//! decided per block of consecutive lines that have that column.

pub struct TabWriter {
    pub min_width: usize,
    pub tab_width: usize,
    pub padding: usize,
    pub pad_char: char,
}

impl TabWriter {
    /// The writer codegangsta/cli used for help: `NewWriter(out, 0, 8, 1, '\t', 0)`.
    pub const HELP: TabWriter = TabWriter {
        min_width: 0,
        tab_width: 8,
        padding: 1,
        pad_char: '\t',
    };
    /// The writer `ls` used: `NewWriter(os.Stdout, 5, 1, 3, ' ', 0)`.
    pub const TABLE: TabWriter = TabWriter {
        min_width: 5,
        tab_width: 1,
        padding: 3,
        pad_char: ' ',
    };

    pub fn format(&self, text: &str) -> String {
        let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
        let mut out = String::with_capacity(text.len() * 2);
        let mut widths = Vec::new();
        self.format_block(&lines, &mut widths, 0, lines.len(), &mut out);
        out
    }

    fn format_block(
        &self,
        lines: &[Vec<&str>],
        widths: &mut Vec<usize>,
        mut line0: usize,
        line1: usize,
        out: &mut String,
    ) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            // A block of lines that all have a cell in this column starts here.
            self.write_lines(lines, widths, line0, this, out);
            line0 = this;
            let mut width = self.min_width;
            while this < line1 && column + 1 < lines[this].len() {
                width = width.max(cell_width(lines[this][column]) + self.padding);
                this += 1;
            }
            widths.push(width);
            self.format_block(lines, widths, line0, this, out);
            widths.pop();
            line0 = this;
        }
        self.write_lines(lines, widths, line0, line1, out);
    }

    fn write_lines(
        &self,
        lines: &[Vec<&str>],
        widths: &[usize],
        line0: usize,
        line1: usize,
        out: &mut String,
    ) {
        for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if j < widths.len() {
                    self.pad(cell_width(cell), widths[j], out);
                }
            }
            if i + 1 < lines.len() {
                out.push('\n');
            }
        }
    }

    fn pad(&self, text_width: usize, cell_width: usize, out: &mut String) {
        if self.pad_char == '\t' {
            if self.tab_width == 0 {
                return;
            }
            let cell_width = cell_width.div_ceil(self.tab_width) * self.tab_width;
            let n = cell_width - text_width;
            out.extend(std::iter::repeat_n('\t', n.div_ceil(self.tab_width)));
        } else {
            out.extend(std::iter::repeat_n(self.pad_char, cell_width - text_width));
        }
    }
}

fn cell_width(cell: &str) -> usize {
    cell.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_all_but_the_last_cell() {
        let out = TabWriter::TABLE.format("NAME\tACTIVE\tERRORS\nn1\t*\t\n");
        assert_eq!(out, "NAME   ACTIVE   ERRORS\nn1     *        \n");
    }

    #[test]
    fn help_pads_with_tabs_to_tab_stops() {
        let out =
            TabWriter::HELP.format("  active\tPrint\n  regenerate-certs\tRegen\n  env\tDisplay\n");
        assert_eq!(
            out,
            "  active\t\tPrint\n  regenerate-certs\tRegen\n  env\t\t\tDisplay\n"
        );
    }

    #[test]
    fn tabless_lines_split_blocks() {
        let out = TabWriter::TABLE.format("a\tb\nxxxxxxxxxx\nc\td");
        assert_eq!(out, "a    b\nxxxxxxxxxx\nc    d", "min width 5");
    }
}
