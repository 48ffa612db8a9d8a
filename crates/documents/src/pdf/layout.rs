//! Where every text of the document goes: an A4 page (or as many as the lines need) of
//! positioned texts and rules, in points from the bottom left corner, as PDF measures.
//!
//! Pure: measured with the fonts, written elsewhere ([`super::write`]). Every block is smaller
//! than a page (texts are cut by [`wrap`]'s rule), so a block that does not fit the room left
//! on a page always fits on the next one.

use tenure_core::invoice::document::{
    DocumentKind, DocumentLine, InvoiceDocument, Party, TaxCategory, TaxSubtotal,
};
use tenure_core::money::format_minor;

use super::fonts::{Fonts, Style};
use super::wrap::wrap;
use crate::amount::{decimal_text, rate_percent_short};
use crate::factur_x::{exemption_reason, STREET_LINES_KEPT};

pub const PAGE_WIDTH_PT: f32 = 595.0;
pub const PAGE_HEIGHT_PT: f32 = 842.0;
const LEFT_PT: f32 = 50.0;
const RIGHT_PT: f32 = PAGE_WIDTH_PT - 50.0;
const CONTENT_WIDTH_PT: f32 = RIGHT_PT - LEFT_PT;
const TOP_PT: f32 = PAGE_HEIGHT_PT - 50.0;
/// Nothing but the footer goes below this.
const BOTTOM_PT: f32 = 70.0;
const FOOTER_BASELINE_PT: f32 = 40.0;
/// A line of text takes its size times this.
const LEADING: f32 = 1.3;

const TITLE_SIZE_PT: f32 = 18.0;
const BODY_SIZE_PT: f32 = 9.0;
const TABLE_SIZE_PT: f32 = 8.0;
const DETAIL_SIZE_PT: f32 = 7.0;
const FOOTER_SIZE_PT: f32 = 7.0;
const ROW_PADDING_PT: f32 = 5.0;

/// How many lines each text may take before it is cut ([`wrap`]).
const TITLE_MAX_LINES: usize = 2;
const PARTY_FIELD_MAX_LINES: usize = 2;
const CELL_MAX_LINES: usize = 4;
/// Enough for any `i64` in the narrowest column: no amount is ever cut.
const NUMBER_MAX_LINES: usize = 5;
const REASON_MAX_LINES: usize = 4;
const NOTE_MAX_LINES: usize = 20;

/// Two colours, as shades of the sRGB output intent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ink {
    Text,
    Muted,
}

impl Ink {
    pub fn rgb(self) -> [f32; 3] {
        match self {
            Ink::Text => [0.0, 0.0, 0.0],
            Ink::Muted => [0.38, 0.38, 0.38],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A line of text, its baseline starting at (`x_pt`, `y_pt`).
    Text {
        x_pt: f32,
        y_pt: f32,
        size_pt: f32,
        style: Style,
        ink: Ink,
        text: String,
    },
    /// A thin horizontal line.
    Rule {
        x_from_pt: f32,
        x_to_pt: f32,
        y_pt: f32,
    },
}

#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

#[derive(Clone, Copy)]
struct Column {
    x_pt: f32,
    width_pt: f32,
    align: Align,
}

impl Column {
    const fn left(x_pt: f32, width_pt: f32) -> Column {
        Column {
            x_pt,
            width_pt,
            align: Align::Left,
        }
    }

    const fn right(right_pt: f32, width_pt: f32) -> Column {
        Column {
            x_pt: right_pt - width_pt,
            width_pt,
            align: Align::Right,
        }
    }
}

// The lines table: description and detail, period, quantity, unit price, net, tax.
const DESCRIPTION: Column = Column::left(LEFT_PT, 160.0);
const PERIOD: Column = Column::left(216.0, 92.0);
const QUANTITY: Column = Column::right(340.0, 28.0);
const UNIT_PRICE: Column = Column::right(408.0, 62.0);
const NET: Column = Column::right(478.0, 64.0);
const TAX: Column = Column::right(RIGHT_PT, 60.0);

// The totals: a label and an amount.
const TOTAL_LABEL: Column = Column::left(250.0, 190.0);
const TOTAL_AMOUNT: Column = Column::right(RIGHT_PT, 100.0);

const PARTY_WIDTH_PT: f32 = 230.0;
const BUYER_X_PT: f32 = RIGHT_PT - PARTY_WIDTH_PT;

/// A text wrapped into a column, ready to place.
struct Cell {
    column: Column,
    size_pt: f32,
    style: Style,
    ink: Ink,
    lines: Vec<String>,
}

impl Cell {
    fn height_pt(&self) -> f32 {
        self.lines.len() as f32 * self.size_pt * LEADING
    }
}

/// The pages of `doc`.
pub fn pages(doc: &InvoiceDocument, fonts: &Fonts) -> Vec<Page> {
    let mut layout = Layout {
        doc,
        fonts,
        pages: vec![Page::default()],
        y_pt: TOP_PT,
        in_table: false,
    };
    layout.title();
    layout.parties();
    layout.lines_table();
    layout.totals();
    layout.reasons_and_note();
    layout.footers();
    layout.pages
}

struct Layout<'a> {
    doc: &'a InvoiceDocument,
    fonts: &'a Fonts,
    pages: Vec<Page>,
    /// The top of what comes next on the current page.
    y_pt: f32,
    /// Whether a page started now continues the lines table (and repeats its header).
    in_table: bool,
}

impl Layout<'_> {
    fn title(&mut self) {
        let doc = self.doc;
        let title = format!("{} {}", kind_title(doc.kind), doc.number);
        let title = self.cell(
            &title,
            Column::left(LEFT_PT, CONTENT_WIDTH_PT),
            TITLE_SIZE_PT,
            Style::Bold,
            Ink::Text,
            TITLE_MAX_LINES,
        );
        self.place_block(&[title]);
        self.y_pt -= 4.0;
        let mut facts = vec![
            format!("Issue date: {}", doc.issued_on),
            format!("Currency: {}", doc.currency),
        ];
        if let Some(corrected) = &doc.corrects {
            facts.push(format!(
                "Corrects invoice {} of {}",
                corrected.number, corrected.issued_on
            ));
        }
        for fact in facts {
            let cell = self.cell(
                &fact,
                Column::left(LEFT_PT, CONTENT_WIDTH_PT),
                BODY_SIZE_PT,
                Style::Regular,
                Ink::Text,
                PARTY_FIELD_MAX_LINES,
            );
            self.place_block(&[cell]);
        }
        self.y_pt -= 16.0;
    }

    fn parties(&mut self) {
        let buyer_heading = match self.doc.kind {
            DocumentKind::Invoice => "Bill to",
            DocumentKind::CreditNote => "Credit to",
        };
        let seller = self.party("From", &self.doc.seller, LEFT_PT);
        let buyer = self.party(buyer_heading, &self.doc.buyer, BUYER_X_PT);
        let stack_height_pt = |cells: &[Cell]| cells.iter().map(Cell::height_pt).sum::<f32>();
        self.ensure_room(stack_height_pt(&seller).max(stack_height_pt(&buyer)));
        let top_pt = self.y_pt;
        let seller_bottom_pt = self.place_stack(&seller, top_pt);
        let buyer_bottom_pt = self.place_stack(&buyer, top_pt);
        self.y_pt = seller_bottom_pt.min(buyer_bottom_pt) - 20.0;
    }

    /// A party's block: its cells, top to bottom.
    fn party(&self, heading: &str, party: &Party, x_pt: f32) -> Vec<Cell> {
        let column = Column::left(x_pt, PARTY_WIDTH_PT);
        let field = |text: &str, style: Style, ink: Ink| {
            self.cell(
                text,
                column,
                BODY_SIZE_PT,
                style,
                ink,
                PARTY_FIELD_MAX_LINES,
            )
        };
        let mut cells = vec![
            self.cell(heading, column, DETAIL_SIZE_PT, Style::Bold, Ink::Muted, 1),
            field(&party.legal_name, Style::Bold, Ink::Text),
        ];
        // The street lines the XML keeps, so that the two show the same address.
        for line in party.address_lines.iter().take(STREET_LINES_KEPT) {
            cells.push(field(line, Style::Regular, Ink::Text));
        }
        cells.push(field(
            &format!("{} {}", party.postcode, party.city),
            Style::Regular,
            Ink::Text,
        ));
        cells.push(field(&party.country_code, Style::Regular, Ink::Text));
        if let Some(tax_id) = &party.tax_id {
            cells.push(field(
                &format!("VAT id: {tax_id}"),
                Style::Regular,
                Ink::Text,
            ));
        }
        if let Some(email) = &party.email {
            cells.push(field(email, Style::Regular, Ink::Muted));
        }
        cells
    }

    fn lines_table(&mut self) {
        self.in_table = true;
        self.table_header();
        for line in &self.doc.lines {
            let row = self.line_row(line);
            let height_pt = row_height_pt(&row);
            self.ensure_room(height_pt);
            let top_pt = self.y_pt;
            for stack in &row {
                self.place_stack(stack, top_pt);
            }
            self.y_pt = top_pt - height_pt;
            self.rule(self.y_pt + ROW_PADDING_PT / 2.0);
        }
        self.in_table = false;
        self.y_pt -= 12.0;
    }

    fn table_header(&mut self) {
        let headings = [
            (DESCRIPTION, "Description"),
            (PERIOD, "Period"),
            (QUANTITY, "Qty"),
            (UNIT_PRICE, "Unit price"),
            (NET, "Net"),
            (TAX, "Tax"),
        ];
        let row: Vec<Vec<Cell>> = headings
            .iter()
            .map(|(column, heading)| {
                vec![self.cell(heading, *column, TABLE_SIZE_PT, Style::Bold, Ink::Text, 1)]
            })
            .collect();
        let top_pt = self.y_pt;
        for stack in &row {
            self.place_stack(stack, top_pt);
        }
        self.y_pt = top_pt - row_height_pt(&row);
        self.rule(self.y_pt + ROW_PADDING_PT / 2.0);
    }

    /// One line's row: a stack of cells per column.
    fn line_row(&self, line: &DocumentLine) -> Vec<Vec<Cell>> {
        let currency = &self.doc.currency;
        let table = |text: &str, column: Column, max_lines: usize| {
            self.cell(
                text,
                column,
                TABLE_SIZE_PT,
                Style::Regular,
                Ink::Text,
                max_lines,
            )
        };
        let mut description = vec![table(&line.description, DESCRIPTION, CELL_MAX_LINES)];
        if let Some(detail) = &line.detail {
            description.push(self.cell(
                detail,
                DESCRIPTION,
                DETAIL_SIZE_PT,
                Style::Regular,
                Ink::Muted,
                CELL_MAX_LINES,
            ));
        }
        let period = format!("{} – {}", line.period_start, line.period_end);
        vec![
            description,
            vec![table(&period, PERIOD, NUMBER_MAX_LINES)],
            vec![table(
                &line.quantity.to_string(),
                QUANTITY,
                NUMBER_MAX_LINES,
            )],
            vec![table(
                &decimal_text(line.unit_price_minor, currency),
                UNIT_PRICE,
                NUMBER_MAX_LINES,
            )],
            vec![table(
                &decimal_text(line.net_minor, currency),
                NET,
                NUMBER_MAX_LINES,
            )],
            vec![table(
                &line_tax(line.tax_category, line.tax_rate_basis_points),
                TAX,
                NUMBER_MAX_LINES,
            )],
        ]
    }

    fn totals(&mut self) {
        let doc = self.doc;
        let currency = &doc.currency;
        let (paid_label, due_label) = match doc.kind {
            DocumentKind::Invoice => ("Paid", "Amount due"),
            DocumentKind::CreditNote => ("Refunded", "Still to refund"),
        };
        let mut rows = vec![("Net total".to_string(), doc.net_minor, Style::Regular)];
        for subtotal in &doc.tax_subtotals {
            rows.push((
                subtotal_label(subtotal, currency),
                subtotal.tax_minor,
                Style::Regular,
            ));
        }
        rows.push(("Total".to_string(), doc.gross_minor, Style::Bold));
        rows.push((paid_label.to_string(), doc.paid_minor, Style::Regular));
        rows.push((due_label.to_string(), doc.due_minor, Style::Bold));
        let rows: Vec<Vec<Vec<Cell>>> = rows
            .iter()
            .map(|(label, amount_minor, style)| {
                vec![
                    vec![self.cell(
                        label,
                        TOTAL_LABEL,
                        BODY_SIZE_PT,
                        *style,
                        Ink::Text,
                        NUMBER_MAX_LINES,
                    )],
                    vec![self.cell(
                        &format_minor(*amount_minor, currency),
                        TOTAL_AMOUNT,
                        BODY_SIZE_PT,
                        *style,
                        Ink::Text,
                        NUMBER_MAX_LINES,
                    )],
                ]
            })
            .collect();
        // The totals stay together, a reader looks for them in one place, unless there are more
        // tax rates than a page holds.
        let height_pt: f32 = rows.iter().map(|row| row_height_pt(row)).sum();
        if height_pt <= TOP_PT - BOTTOM_PT {
            self.ensure_room(height_pt);
        }
        for row in &rows {
            self.ensure_room(row_height_pt(row));
            let top_pt = self.y_pt;
            for stack in row {
                self.place_stack(stack, top_pt);
            }
            self.y_pt = top_pt - row_height_pt(row);
        }
        self.y_pt -= 12.0;
    }

    /// Why no tax is charged, as the XML says it, then the note.
    fn reasons_and_note(&mut self) {
        let full_width = Column::left(LEFT_PT, CONTENT_WIDTH_PT);
        let reasons: Vec<&str> = self
            .doc
            .tax_subtotals
            .iter()
            .filter_map(exemption_reason)
            .collect();
        for reason in reasons {
            let cell = self.cell(
                reason,
                full_width,
                BODY_SIZE_PT,
                Style::Regular,
                Ink::Muted,
                REASON_MAX_LINES,
            );
            self.place_block(&[cell]);
        }
        if let Some(note) = &self.doc.note {
            self.y_pt -= 8.0;
            let heading = self.cell("Note", full_width, BODY_SIZE_PT, Style::Bold, Ink::Text, 1);
            let note = self.cell(
                note,
                full_width,
                BODY_SIZE_PT,
                Style::Regular,
                Ink::Text,
                NOTE_MAX_LINES,
            );
            self.place_block(&[heading, note]);
        }
    }

    /// "INV-2026-000001 · Page 1 of 2" at the foot of every page, once their number is known.
    fn footers(&mut self) {
        let count = self.pages.len();
        let number = &self.doc.number;
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.items.push(Item::Text {
                x_pt: LEFT_PT,
                y_pt: FOOTER_BASELINE_PT,
                size_pt: FOOTER_SIZE_PT,
                style: Style::Regular,
                ink: Ink::Muted,
                text: format!("{number} · Page {} of {count}", index + 1),
            });
        }
    }

    fn cell(
        &self,
        text: &str,
        column: Column,
        size_pt: f32,
        style: Style,
        ink: Ink,
        max_lines: usize,
    ) -> Cell {
        let fonts = self.fonts;
        let text = without_control_characters(text);
        let lines = wrap(&text, column.width_pt, max_lines, |line| {
            fonts.width_pt(style, line, size_pt)
        });
        Cell {
            column,
            size_pt,
            style,
            ink,
            lines,
        }
    }

    /// Places cells one under the other from the cursor, on a new page if they do not fit.
    fn place_block(&mut self, cells: &[Cell]) {
        let height_pt: f32 = cells.iter().map(Cell::height_pt).sum();
        self.ensure_room(height_pt);
        let top_pt = self.y_pt;
        self.y_pt = self.place_stack(cells, top_pt);
    }

    /// Places cells one under the other from `top_pt`; returns where they end.
    fn place_stack(&mut self, cells: &[Cell], top_pt: f32) -> f32 {
        let mut y_pt = top_pt;
        for cell in cells {
            for line in &cell.lines {
                let line_height_pt = cell.size_pt * LEADING;
                let baseline_pt = y_pt - cell.size_pt;
                let x_pt = match cell.column.align {
                    Align::Left => cell.column.x_pt,
                    Align::Right => {
                        let width_pt = self.fonts.width_pt(cell.style, line, cell.size_pt);
                        cell.column.x_pt + cell.column.width_pt - width_pt
                    }
                };
                self.current_page().items.push(Item::Text {
                    x_pt,
                    y_pt: baseline_pt,
                    size_pt: cell.size_pt,
                    style: cell.style,
                    ink: cell.ink,
                    text: line.clone(),
                });
                y_pt -= line_height_pt;
            }
        }
        y_pt
    }

    fn rule(&mut self, y_pt: f32) {
        self.current_page().items.push(Item::Rule {
            x_from_pt: LEFT_PT,
            x_to_pt: RIGHT_PT,
            y_pt,
        });
    }

    /// Starts a new page unless `height_pt` fits above the footer.
    fn ensure_room(&mut self, height_pt: f32) {
        if self.y_pt - height_pt >= BOTTOM_PT {
            return;
        }
        self.pages.push(Page::default());
        self.y_pt = TOP_PT;
        let continued = format!(
            "{} {} (continued)",
            kind_title(self.doc.kind),
            self.doc.number
        );
        let heading = self.cell(
            &continued,
            Column::left(LEFT_PT, CONTENT_WIDTH_PT),
            BODY_SIZE_PT,
            Style::Bold,
            Ink::Muted,
            1,
        );
        self.y_pt = self.place_stack(&[heading], self.y_pt) - 10.0;
        if self.in_table {
            self.table_header();
        }
    }

    fn current_page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }
}

/// The text as the XML has it: control characters left out (a tab is a space, a line break
/// starts a new line).
fn without_control_characters(text: &str) -> String {
    text.chars()
        .filter(|character| !character.is_control() || matches!(character, '\n' | '\t'))
        .map(|character| if character == '\t' { ' ' } else { character })
        .collect()
}

fn row_height_pt(row: &[Vec<Cell>]) -> f32 {
    let tallest_pt = row
        .iter()
        .map(|stack| stack.iter().map(Cell::height_pt).sum::<f32>())
        .fold(0.0, f32::max);
    tallest_pt + ROW_PADDING_PT
}

fn kind_title(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "Invoice",
        DocumentKind::CreditNote => "Credit note",
    }
}

/// A line's tax as its column shows it.
fn line_tax(category: TaxCategory, rate_basis_points: u32) -> String {
    match category {
        TaxCategory::Standard | TaxCategory::ZeroRated => {
            format!("{}%", rate_percent_short(rate_basis_points))
        }
        TaxCategory::Exempt => "Exempt".into(),
        TaxCategory::ReverseCharge => "Reverse charge".into(),
        TaxCategory::NotSubject => "Not subject".into(),
    }
}

/// A tax subtotal's label among the totals: what is taxed, how.
fn subtotal_label(subtotal: &TaxSubtotal, currency: &str) -> String {
    let basis = format_minor(subtotal.taxable_minor, currency);
    match subtotal.tax_category {
        TaxCategory::Standard | TaxCategory::ZeroRated => format!(
            "VAT {}% on {basis}",
            rate_percent_short(subtotal.tax_rate_basis_points)
        ),
        TaxCategory::Exempt => format!("VAT exempt on {basis}"),
        TaxCategory::ReverseCharge => format!("VAT reverse charged on {basis}"),
        TaxCategory::NotSubject => format!("No VAT (not subject) on {basis}"),
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use tenure_core::invoice::document::{DocumentLine, Party, TaxSubtotal};

    use super::*;

    fn party(name: &str) -> Party {
        Party {
            legal_name: name.into(),
            address_lines: vec!["1 Main Street".into()],
            city: "Paris".into(),
            postcode: "75001".into(),
            country_code: "FR".into(),
            tax_id: Some("FR40303265045".into()),
            registration_id: None,
            email: None,
        }
    }

    /// A document of `lines` lines, each at its own tax rate, every text `text_length` long.
    fn document(lines: usize, text_length: usize) -> InvoiceDocument {
        let text = "word ".repeat(text_length / 5);
        let lines: Vec<DocumentLine> = (0..lines)
            .map(|index| DocumentLine {
                description: text.clone(),
                detail: Some(text.clone()),
                period_start: date(2026, 4, 1),
                period_end: date(2026, 4, 30),
                quantity: i64::MAX,
                unit_price_minor: i64::MIN,
                net_minor: i64::MAX,
                tax_category: TaxCategory::Standard,
                tax_rate_basis_points: index as u32,
            })
            .collect();
        let tax_subtotals = lines
            .iter()
            .map(|line| TaxSubtotal {
                tax_category: line.tax_category,
                tax_rate_basis_points: line.tax_rate_basis_points,
                taxable_minor: line.net_minor,
                tax_minor: i64::MAX,
                exemption_reason: Some(text.clone()),
            })
            .collect();
        InvoiceDocument {
            number: text.clone(),
            kind: DocumentKind::CreditNote,
            issued_on: date(2026, 4, 1),
            currency: "EUR".into(),
            seller: party(&text),
            buyer: party(&text),
            lines,
            tax_subtotals,
            net_minor: i64::MAX,
            tax_minor: i64::MAX,
            gross_minor: i64::MAX,
            paid_minor: i64::MIN,
            due_minor: i64::MAX,
            corrects: None,
            note: Some(text),
        }
    }

    /// Every text and rule lies inside its page, above the footer but for the footer itself.
    fn assert_on_their_pages(pages: &[Page]) {
        for (index, page) in pages.iter().enumerate() {
            for item in &page.items {
                let (y_pt, is_footer) = match item {
                    Item::Text { y_pt, text, .. } => (*y_pt, text.contains(" · Page ")),
                    Item::Rule { y_pt, .. } => (*y_pt, false),
                };
                let floor_pt = if is_footer {
                    FOOTER_BASELINE_PT
                } else {
                    BOTTOM_PT
                };
                assert!(
                    (floor_pt..=TOP_PT).contains(&y_pt),
                    "page {index}: {item:?} is off its page"
                );
            }
        }
    }

    #[test]
    fn long_texts_extreme_amounts_and_many_rates_stay_on_their_pages() {
        let fonts = Fonts::load().unwrap();
        for (lines, text_length) in [(0, 0), (1, 10_000), (60, 400), (300, 20)] {
            let pages = pages(&document(lines, text_length), &fonts);
            assert!(!pages.is_empty());
            assert_on_their_pages(&pages);
        }
    }
}
