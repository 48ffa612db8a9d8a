//! Breaking a text into the lines of a column, with one rule for text too long to show: at
//! most `max_lines` lines, the last of a cut text ending in "…".
//!
//! Words break at spaces and line breaks; a word wider than the column breaks between
//! characters. The limit keeps every block of a page smaller than a page, so that no text can
//! push the layout into a page it does not fit on.

const ELLIPSIS: char = '…';

/// The lines of `text` no wider than `width_pt` as `measure` measures them (a text's width in
/// points), at most `max_lines` of them.
pub fn wrap(
    text: &str,
    width_pt: f32,
    max_lines: usize,
    measure: impl Fn(&str) -> f32,
) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(paragraph, width_pt, max_lines, &measure, &mut lines);
        // One line more than the limit says the text was cut; the rest is not needed.
        if lines.len() > max_lines {
            break;
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = with_ellipsis(last, width_pt, &measure);
        }
    }
    lines
}

/// Stops past `max_lines`: the rest of a long text would only be cut.
fn wrap_paragraph(
    paragraph: &str,
    width_pt: f32,
    max_lines: usize,
    measure: &impl Fn(&str) -> f32,
    lines: &mut Vec<String>,
) {
    let mut line = String::new();
    for word in paragraph.split_whitespace() {
        if lines.len() > max_lines {
            return;
        }
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if measure(&candidate) <= width_pt {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if measure(word) <= width_pt {
            line = word.to_string();
        } else {
            line = break_word(word, width_pt, measure, lines);
        }
    }
    lines.push(line);
}

/// Pushes the full-width pieces of a word wider than the column; returns the piece left over,
/// which the next word may join.
fn break_word(
    word: &str,
    width_pt: f32,
    measure: &impl Fn(&str) -> f32,
    lines: &mut Vec<String>,
) -> String {
    let mut piece = String::new();
    for character in word.chars() {
        piece.push(character);
        // A piece holds at least one character, however narrow the column.
        if measure(&piece) > width_pt && piece.chars().count() > 1 {
            piece.pop();
            lines.push(std::mem::take(&mut piece));
            piece.push(character);
        }
    }
    piece
}

fn with_ellipsis(line: &str, width_pt: f32, measure: &impl Fn(&str) -> f32) -> String {
    let mut kept: String = line.trim_end().to_string();
    loop {
        let candidate = format!("{kept}{ELLIPSIS}");
        if measure(&candidate) <= width_pt || kept.is_empty() {
            return candidate;
        }
        kept.pop();
        kept = kept.trim_end().to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character one point wide.
    fn characters(text: &str) -> f32 {
        text.chars().count() as f32
    }

    #[test]
    fn words_fill_lines_up_to_the_width() {
        assert_eq!(
            wrap("one two three four", 9.0, 10, characters),
            ["one two", "three", "four"]
        );
        assert_eq!(wrap("", 9.0, 10, characters), [""]);
        assert_eq!(wrap("a\nb c", 9.0, 10, characters), ["a", "b c"]);
    }

    #[test]
    fn a_word_wider_than_the_column_breaks_between_characters() {
        assert_eq!(
            wrap("ab abcdefghij k", 4.0, 10, characters),
            ["ab", "abcd", "efgh", "ij k"]
        );
        assert_eq!(wrap("abc", 0.0, 10, characters), ["a", "b", "c"]);
    }

    #[test]
    fn text_past_the_last_line_is_cut_with_an_ellipsis() {
        assert_eq!(
            wrap("one two three four five", 7.0, 2, characters),
            ["one two", "three…"]
        );
        assert_eq!(wrap("abcdefgh abcdefgh", 4.0, 1, characters), ["abc…"]);
        assert!(wrap("anything", 4.0, 0, characters).is_empty());
        let long = "word ".repeat(1_000_000);
        assert_eq!(wrap(&long, 9.0, 2, characters), ["word word", "word wor…"]);
    }
}
