//! An instance's name and tags: what a customer calls an instance and groups it by. They
//! change nothing of its billing or life; notices name an instance by its name
//! ([`Instance::called`](crate::lifecycle::Instance::called)), and lists are filtered by tag.
//!
//! The rules are the API's: a name is 1 to [`MAX_NAME_CHARS`] characters with no control
//! character, kept as given; a tag is 1 to [`MAX_TAG_CHARS`] of `a-z 0-9 _ - : .`, at most
//! [`MAX_TAGS`] per instance, no two alike. Tags are kept sorted, so an instance's set reads
//! the same however it was sent.

use std::fmt;

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The most tags an instance carries.
pub const MAX_TAGS: usize = 20;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// The characters a tag is made of, besides lower-case ASCII letters and digits.
pub const TAG_PUNCTUATION: &str = "_-:.";

/// Why a name or a set of tags was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelError {
    NameEmpty,
    NameTooLong { chars: usize },
    NameHasControl,
    TooManyTags { count: usize },
    TagEmpty,
    TagTooLong { tag_prefix: String, chars: usize },
    TagCharacter { tag_prefix: String, character: char },
    DuplicateTag { tag: String },
}

impl LabelError {
    pub fn code(&self) -> &'static str {
        match self {
            LabelError::NameEmpty | LabelError::NameTooLong { .. } | LabelError::NameHasControl => {
                "invalid_name"
            }
            _ => "invalid_tags",
        }
    }
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelError::NameEmpty => write!(
                f,
                "a name has 1 to {MAX_NAME_CHARS} characters; send null to remove it"
            ),
            LabelError::NameTooLong { chars } => write!(
                f,
                "a name has at most {MAX_NAME_CHARS} characters, this one {chars}"
            ),
            LabelError::NameHasControl => write!(
                f,
                "a name may not hold control characters (line breaks, tabs, NUL)"
            ),
            LabelError::TooManyTags { count } => {
                write!(f, "an instance carries at most {MAX_TAGS} tags, not {count}")
            }
            LabelError::TagEmpty => write!(f, "a tag has 1 to {MAX_TAG_CHARS} characters"),
            LabelError::TagTooLong { tag_prefix, chars } => write!(
                f,
                "a tag has at most {MAX_TAG_CHARS} characters: `{tag_prefix}…` has {chars}"
            ),
            LabelError::TagCharacter {
                tag_prefix,
                character,
            } => write!(
                f,
                "a tag is made of a-z, 0-9 and `{TAG_PUNCTUATION}`: `{tag_prefix}` holds {character:?}"
            ),
            LabelError::DuplicateTag { tag } => write!(f, "the tag `{tag}` is given twice"),
        }
    }
}

impl std::error::Error for LabelError {}

/// A name as given, checked.
pub fn check_name(name: &str) -> Result<String, LabelError> {
    let chars = name.chars().count();
    if chars == 0 {
        return Err(LabelError::NameEmpty);
    }
    if chars > MAX_NAME_CHARS {
        return Err(LabelError::NameTooLong { chars });
    }
    if name.chars().any(char::is_control) {
        return Err(LabelError::NameHasControl);
    }
    Ok(name.to_string())
}

/// One tag, checked.
pub fn check_tag(tag: &str) -> Result<String, LabelError> {
    // What a message quotes of a tag: enough to find it, never the 10 KB someone sent.
    let prefix = || tag.chars().take(MAX_TAG_CHARS).collect::<String>();
    let chars = tag.chars().count();
    if chars == 0 {
        return Err(LabelError::TagEmpty);
    }
    if chars > MAX_TAG_CHARS {
        return Err(LabelError::TagTooLong {
            tag_prefix: prefix(),
            chars,
        });
    }
    if let Some(character) = tag.chars().find(|character| {
        !(character.is_ascii_lowercase()
            || character.is_ascii_digit()
            || TAG_PUNCTUATION.contains(*character))
    }) {
        return Err(LabelError::TagCharacter {
            tag_prefix: prefix().chars().filter(|c| !c.is_control()).collect(),
            character,
        });
    }
    Ok(tag.to_string())
}

/// A set of tags, checked and sorted.
pub fn check_tags(tags: &[String]) -> Result<Vec<String>, LabelError> {
    if tags.len() > MAX_TAGS {
        return Err(LabelError::TooManyTags { count: tags.len() });
    }
    let mut checked = tags
        .iter()
        .map(|tag| check_tag(tag))
        .collect::<Result<Vec<_>, _>>()?;
    checked.sort();
    if let Some(pair) = checked.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(LabelError::DuplicateTag {
            tag: pair[0].clone(),
        });
    }
    Ok(checked)
}

/// How a notice names an instance: by its name, its id beside it, or by its id alone.
pub fn called(id: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("“{name}” ({id})"),
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_kept_as_given_within_its_bounds() {
        assert_eq!(check_name("billing-db  ").unwrap(), "billing-db  ");
        assert_eq!(check_name(&"é".repeat(100)).unwrap().chars().count(), 100);
        assert_eq!(
            check_name(&"é".repeat(101)),
            Err(LabelError::NameTooLong { chars: 101 })
        );
        assert_eq!(check_name(""), Err(LabelError::NameEmpty));
        assert_eq!(check_name("a\0b"), Err(LabelError::NameHasControl));
        assert_eq!(check_name("a\nb"), Err(LabelError::NameHasControl));
    }

    #[test]
    fn tags_are_checked_sorted_and_unique() {
        let tags = |list: &[&str]| list.iter().map(|tag| tag.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_tags(&tags(&["team:web", "env.prod", "a_b-c"])).unwrap(),
            tags(&["a_b-c", "env.prod", "team:web"])
        );
        assert_eq!(
            check_tags(&tags(&["x", "y", "x"])),
            Err(LabelError::DuplicateTag { tag: "x".into() })
        );
        assert_eq!(check_tags(&tags(&[""])), Err(LabelError::TagEmpty));
        assert!(matches!(
            check_tags(&tags(&["Prod"])),
            Err(LabelError::TagCharacter { character: 'P', .. })
        ));
        assert!(matches!(
            check_tags(&tags(&["a%b"])),
            Err(LabelError::TagCharacter { character: '%', .. })
        ));
        assert!(matches!(
            check_tag(&"a".repeat(51)),
            Err(LabelError::TagTooLong { chars: 51, .. })
        ));
        let many: Vec<String> = (0..21).map(|n| format!("t{n}")).collect();
        assert_eq!(
            check_tags(&many),
            Err(LabelError::TooManyTags { count: 21 })
        );
        assert_eq!(check_tags(&many[..20]).unwrap().len(), 20);
    }

    #[test]
    fn a_named_instance_is_called_by_its_name_and_id() {
        assert_eq!(
            called("inst_1", Some("billing-db")),
            "“billing-db” (inst_1)"
        );
        assert_eq!(called("inst_1", None), "inst_1");
    }
}
