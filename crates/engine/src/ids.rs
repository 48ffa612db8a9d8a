use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;

/// Makes ids such as `inst_0191d2c3a4b5c6d7e8f9`: a prefix naming the kind of thing, then
/// hexadecimal that sorts by creation time, so lists ordered by id are ordered by age.
#[derive(Debug)]
pub enum Ids {
    /// Milliseconds of real time, a per-process counter and random bits: unique across nodes.
    Random(AtomicU64),
    /// A plain counter: the same scenario always gives the same ids (`tenure simulate`).
    Sequential(AtomicU64),
}

impl Ids {
    pub fn random() -> Ids {
        Ids::Random(AtomicU64::new(0))
    }

    pub fn sequential() -> Ids {
        Ids::Sequential(AtomicU64::new(0))
    }

    pub fn next(&self, prefix: &str) -> String {
        match self {
            Ids::Random(counter) => {
                let millis = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("after 1970")
                    .as_millis() as u64;
                let count = counter.fetch_add(1, Ordering::Relaxed) & 0xffff;
                let random: u32 = rand::thread_rng().gen();
                // Written digit by digit rather than by `format!`: a sweep makes several ids
                // per step, and the formatting machinery was 3% of a simulated year.
                let mut id = String::with_capacity(prefix.len() + 24);
                id.push_str(prefix);
                id.push('_');
                push_hex(&mut id, millis, 11);
                push_hex(&mut id, count, 4);
                push_hex(&mut id, u64::from(random), 8);
                id
            }
            Ids::Sequential(counter) => {
                let count = counter.fetch_add(1, Ordering::Relaxed) + 1;
                format!("{prefix}_{count:06}")
            }
        }
    }
}

/// Appends `value` in lowercase hexadecimal, zero-padded to at least `width` digits (as
/// `format!("{value:0width$x}")` does).
fn push_hex(text: &mut String, value: u64, width: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let significant = (64 - value.leading_zeros() as usize).div_ceil(4).max(1);
    for position in (0..significant.max(width)).rev() {
        let digit = (value >> (position * 4)) & 0xf;
        text.push(char::from(DIGITS[digit as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits_are_what_format_writes() {
        let values = [
            0,
            1,
            0xf,
            0x10,
            0xabc,
            0xffff,
            0x1_0000,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        for value in values
            .into_iter()
            .chain((0..1000).map(|_| rand::random::<u64>() >> (rand::random::<u32>() % 64)))
        {
            for width in [0, 4, 8, 11] {
                let mut text = String::new();
                push_hex(&mut text, value, width);
                assert_eq!(
                    text,
                    format!("{value:0width$x}"),
                    "{value} at width {width}"
                );
            }
        }
    }

    #[test]
    fn random_ids_have_the_prefix_and_sort_by_creation() {
        let ids = Ids::random();
        let made: Vec<String> = (0..100).map(|_| ids.next("evt")).collect();
        for id in &made {
            assert!(id.starts_with("evt_"), "{id}");
            assert_eq!(id.len(), "evt_".len() + 11 + 4 + 8, "{id}");
        }
        let mut sorted = made.clone();
        sorted.sort();
        assert_eq!(sorted, made, "ids made in a row sort in that order");
    }
}
