//! The balance forecast drawn as SVG on the server: what is left over the coming days, a step
//! down at each auto-renewal deduction it pays, a mark at each it cannot, and the day money runs
//! out, in words and as a red line, so a customer sees it at a glance. A table below says the
//! same for a screen reader.

use maud::{html, Markup};
use tenure_wire::forecast::AccountForecast;

use super::{money, when};

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 40.0;

fn seconds(time: jiff::Timestamp) -> f64 {
    time.as_second() as f64
}

/// The day of a time, as the chart's labels show it.
fn day(time: jiff::Timestamp) -> String {
    time.strftime("%Y-%m-%d").to_string()
}

pub fn chart(forecast: &AccountForecast) -> Markup {
    let currency = forecast.currency.as_str();
    let (from, until) = (seconds(forecast.from), seconds(forecast.until));
    let available = forecast.available_minor;
    let charges = &forecast.charges;
    let days = ((until - from) / 86_400.0).round() as i64;
    let top_minor = available.max(1);
    let x = |at: f64| LEFT + (at - from) / (until - from).max(1.0) * (WIDTH - LEFT - RIGHT);
    let y = |minor: i64| TOP + (1.0 - minor as f64 / top_minor as f64) * (HEIGHT - TOP - BOTTOM);
    // The step line of what is left.
    let mut path = format!("M{:.1},{:.1}", x(from), y(available));
    for charge in charges {
        let after = charge.left_after_minor;
        path.push_str(&format!(" H{:.1} V{:.1}", x(seconds(charge.at)), y(after)));
    }
    path.push_str(&format!(" H{:.1}", x(until)));
    let runs_out = forecast.runs_out_at;
    let first_unpaid = charges.iter().find(|charge| !charge.paid);
    let summary = match (runs_out, first_unpaid) {
        (Some(at), Some(charge)) => format!(
            "Money runs out on {}: its {} auto-renewal deduction for {} cannot be paid from the {} left then.",
            day(at),
            money(charge.amount_minor, currency),
            charge.instance_id,
            money(charge.left_after_minor, currency),
        ),
        _ => format!(
            "The balance and coupons ({}) pay every auto-renewal of the next {days} days.",
            money(available, currency)
        ),
    };
    html! {
        figure.chart {
            figcaption { "Forecast of the next " (days) " days" }
            p class={"notice " (if runs_out.is_some() { "bad" } else { "good" })} data-test="runs-out" { (summary) }
            svg viewBox={"0 0 " (WIDTH) " " (HEIGHT)} role="img" aria-labelledby="forecast-title forecast-desc" xmlns="http://www.w3.org/2000/svg" {
                title id="forecast-title" { "What is left over the next " (days) " days" }
                desc id="forecast-desc" { (summary) }
                // Axes, with the amount now and zero, and the first and last day.
                line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(HEIGHT - BOTTOM) stroke="#4a5360" {}
                line x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH - RIGHT) y2=(HEIGHT - BOTTOM) stroke="#4a5360" {}
                text x=(LEFT - 6.0) y=(y(available) + 4.0) text-anchor="end" font-size="12" fill="#1b1f24" { (money(available, currency)) }
                text x=(LEFT - 6.0) y=(y(0) + 4.0) text-anchor="end" font-size="12" fill="#1b1f24" { (money(0, currency)) }
                text x=(LEFT) y=(HEIGHT - 14.0) font-size="12" fill="#1b1f24" { (day(forecast.from)) }
                text x=(WIDTH - RIGHT) y=(HEIGHT - 14.0) text-anchor="end" font-size="12" fill="#1b1f24" { (day(forecast.until)) }
                path d=(path) fill="none" stroke="#0b5cad" stroke-width="2.5" {}
                @for charge in charges {
                    @let at = seconds(charge.at);
                    @if !charge.paid {
                        circle cx=(format!("{:.1}", x(at))) cy=(format!("{:.1}", y(charge.left_after_minor))) r="5" fill="#a4161a" {}
                    } @else {
                        circle cx=(format!("{:.1}", x(at))) cy=(format!("{:.1}", y(charge.left_after_minor))) r="3.5" fill="#0b5cad" {}
                    }
                }
                @if let Some(at) = runs_out.map(seconds) {
                    line x1=(format!("{:.1}", x(at))) y1=(TOP) x2=(format!("{:.1}", x(at))) y2=(HEIGHT - BOTTOM) stroke="#a4161a" stroke-width="2" stroke-dasharray="6 4" {}
                    text x=(format!("{:.1}", x(at) + 6.0)) y=(TOP + 14.0) font-size="13" font-weight="700" fill="#a4161a" {
                        "Money runs out " (runs_out.map(day).unwrap_or_default())
                    }
                }
            }
        }
        @if !charges.is_empty() {
            details {
                summary { "The deductions, one by one" }
                div.table-wrap { table {
                    thead { tr { th { "When" } th { "Instance" } th.amount { "Deduction" } th { "Paid" } th.amount { "Left after" } } }
                    tbody { @for charge in charges { tr {
                        td { (when(charge.at)) }
                        td { (charge.instance_id) }
                        td.amount { (money(charge.amount_minor, currency)) }
                        td { @if charge.paid { "yes" } @else { strong.error { "cannot be paid" } } }
                        td.amount { (money(charge.left_after_minor, currency)) }
                    } } }
                } }
            }
        }
    }
}
