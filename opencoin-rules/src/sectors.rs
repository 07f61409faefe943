//! Sector lists: which trades may be paid, or may pay.

use opencoin_core::SectorCode;
use opencoin_core::spec::{SectorMode, SectorPattern, SectorRuleSpec};

/// True if `code` falls under `pattern`: a prefix covers its whole branch,
/// a range covers the numeric codes between its ends, both included.
pub fn pattern_matches(pattern: &SectorPattern, code: &SectorCode) -> bool {
    match pattern {
        SectorPattern::Prefix(prefix) => code.starts_with(prefix),
        SectorPattern::Range { low, high } => {
            code.as_number().is_some_and(|number| (*low..=*high).contains(&number))
        }
    }
}

/// The first of `sectors` that the rule's list matches, if any.
pub fn first_listed<'a>(
    rule: &SectorRuleSpec,
    sectors: &'a [SectorCode],
) -> Option<&'a SectorCode> {
    sectors.iter().find(|code| rule.patterns.iter().any(|pattern| pattern_matches(pattern, code)))
}

/// Whether the rule refuses an account with these sectors on the side the
/// rule looks at, and if so the sector to blame (`None` for an allow list
/// that the account matches nowhere).
pub fn refuses(rule: &SectorRuleSpec, sectors: &[SectorCode]) -> Option<Option<SectorCode>> {
    let listed = first_listed(rule, sectors);
    match (rule.mode, listed) {
        (SectorMode::Ban, Some(code)) => Some(Some(code.clone())),
        (SectorMode::Ban, None) => None,
        (SectorMode::Allow, Some(_)) => None,
        (SectorMode::Allow, None) => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencoin_core::spec::SectorDirection;

    fn code(text: &str) -> SectorCode {
        SectorCode::new(text).unwrap()
    }

    fn rule(mode: SectorMode) -> SectorRuleSpec {
        SectorRuleSpec {
            mode,
            patterns: vec![
                SectorPattern::Prefix(code("D35")),
                SectorPattern::Range { low: 5000, high: 5599 },
            ],
            direction: SectorDirection::PayingInto,
            reason: "energy".into(),
        }
    }

    #[test]
    fn table() {
        // (sectors of the account, refused by the ban list?, by the allow list?)
        let rows: &[(&[&str], bool, bool)] = &[
            (&["D35.11"], true, false),
            (&["D35"], true, false),
            (&["D36"], false, true),
            (&["5000"], true, false),
            (&["5599"], true, false),
            (&["5600"], false, true),
            (&["4999"], false, true),
            (&["A01", "5411"], true, false),
            (&[], false, true),
        ];
        for &(sectors, banned, not_allowed) in rows {
            let sectors: Vec<SectorCode> = sectors.iter().map(|s| code(s)).collect();
            assert_eq!(refuses(&rule(SectorMode::Ban), &sectors).is_some(), banned, "{sectors:?}");
            assert_eq!(
                refuses(&rule(SectorMode::Allow), &sectors).is_some(),
                not_allowed,
                "{sectors:?}"
            );
        }
    }
}
