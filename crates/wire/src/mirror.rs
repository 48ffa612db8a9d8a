//! Enums the API shows and the domain keeps are declared twice, here as the wire's and in the
//! core as the rule's; [`same_variants!`] converts each way with an exhaustive `match`, so a
//! variant added on one side and not the other does not compile.

/// `same_variants!(wire::Enum, domain::Enum { A, B, C })`: `From` both ways, with the
/// `domain` feature.
#[macro_export]
macro_rules! same_variants {
    ($wire:ty, $domain:ty { $($variant:ident),+ $(,)? }) => {
        #[cfg(feature = "domain")]
        impl From<$domain> for $wire {
            fn from(value: $domain) -> Self {
                type Domain = $domain;
                match value {
                    $(Domain::$variant => Self::$variant,)+
                }
            }
        }

        #[cfg(feature = "domain")]
        impl From<$wire> for $domain {
            fn from(value: $wire) -> Self {
                type Wire = $wire;
                match value {
                    $(Wire::$variant => Self::$variant,)+
                }
            }
        }
    };
}
