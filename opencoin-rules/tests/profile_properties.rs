//! Accounts come with arbitrary attributes (anywhere on Earth or nowhere,
//! any mix of sector codes, any kind and id) and payments with arbitrary
//! figures, up to the extremes of `i128`. For one currency file with nine
//! rules of every family, this file checks that `RuleSet::profile` and
//! `RuleSet::check` never panic, that a check gives the same answer every
//! time and from a second compilation of the same file, and that both agree
//! with a naive evaluation written here from the file's text: great-circle
//! distance by the haversine formula, sector codes compared as strings,
//! exemptions looked up by hand, and the refusal named by the earliest
//! failing rule in the file, with the credit limit last.
//!
//! Points within a metre of the circle's edge are skipped: there the naive
//! and the library's floating-point distances may round to opposite sides.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Geometry only: coordinates and distances, never money.
#![allow(clippy::float_arithmetic)]

use opencoin_core::{
    AccountAttributes, AccountId, AccountKind, CurrencyCode, CurrencySpec, Location, SectorCode,
};
use opencoin_rules::{AccountProfile, Movement, Party, RuleSet, RuleViolation, Verdict};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const FILE: &str = r#"
code = "VLG"
name = "Village"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
exempt_accounts = [5]

[[rules]]
kind = "perimeter"
area = { circle = { center = [46.52, 6.63], radius_km = 25 } }
exempt = { kinds = ["reserve"], accounts = [3] }

[[rules]]
kind = "sectors"
mode = "ban"
codes = ["D35", "4900-4999"]
direction = "paying_into"
reason = "no fossil energy"
exempt = { kinds = ["fund"] }

[[rules]]
kind = "sectors"
mode = "allow"
codes = ["A01", "G47", "5411"]
direction = "receiving_from"
reason = "only farms and shops pay in"
exempt = { kinds = ["member"] }

[[rules]]
kind = "payment_max"
max = "500.00"
exempt = { kinds = ["fund"] }

[[rules]]
kind = "balance_ceiling"
max = "5000.00"

[[rules]]
kind = "demurrage"
rate = "2%"
period = "90d"
step = "day"
destination = "burn"
exempt = { kinds = ["fund"], accounts = [4] }

[[rules]]
kind = "perimeter"
applies_to = "payee"
area = { geohash = ["u0k"] }

[[rules]]
kind = "payment_max"
max = "100.00"
exempt = { kinds = ["merchant"] }

[[rules]]
kind = "balance_ceiling"
max = "1000.00"
exempt = { kinds = ["member"] }
"#;

/// The credit floor of the file, -100.00, in minor units.
const FLOOR: i128 = -10_000;

/// The circle of rule 0, and the mean Earth radius geo's `Haversine` uses
/// (6371.0088 km, the IUGG mean radius of the GRS80 ellipsoid).
const CENTER: (f64, f64) = (46.52, 6.63);
const RADIUS_M: f64 = 25_000.0;
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The geohash cell "u0k" of rule 6. Its 15 bits 11010 00000 10010 split
/// into longitude bits 1,0,0,0,0,1,0,0 (halving -180..180 eight times gives
/// 5.625..7.03125) and latitude bits 1,1,0,0,0,0,1 (halving -90..90 seven
/// times gives 46.40625..47.8125).
const CELL_LATITUDE: (f64, f64) = (46.40625, 47.8125);
const CELL_LONGITUDE: (f64, f64) = (5.625, 7.03125);

const SECTORS: &[&str] = &[
    "A01", "A01.1", "A02", "D35", "D35.11", "D36", "D3", "4900", "4950", "4999", "5000", "49",
    "5411", "54110", "5412", "G47", "G47.2", "Z",
];

fn location() -> impl Strategy<Value = Option<(f64, f64)>> {
    prop_oneof![
        Just(None),
        // Near the circle and the cell, where the decisions change.
        (46.0..=47.0_f64, 5.9..=7.4_f64).prop_map(Some),
        (46.2..=48.0_f64, 5.5..=7.2_f64).prop_map(Some),
        // Anywhere, and the corners of the map.
        (-90.0..=90.0_f64, -180.0..=180.0_f64).prop_map(Some),
        select(vec![(90.0, 0.0), (-90.0, 180.0), (0.0, -180.0), (46.52, 6.63)]).prop_map(Some),
    ]
}

fn attributes() -> impl Strategy<Value = AccountAttributes> {
    let id = prop_oneof![Just(3_u64), Just(4), Just(5), 1..=20_u64, any::<u64>()];
    let sectors = vec(select(SECTORS), 0..=3);
    (id, select(AccountKind::ALL.to_vec()), location(), sectors).prop_map(
        |(id, kind, at, sectors)| AccountAttributes {
            id: AccountId(id),
            currency: CurrencyCode::new("VLG").unwrap(),
            kind,
            location: at.map(|(latitude, longitude)| Location::new(latitude, longitude).unwrap()),
            sectors: sectors.iter().map(|code| SectorCode::new(code).unwrap()).collect(),
        },
    )
}

/// Minor-unit figures near the file's limits and anywhere in `i128`.
fn figure() -> impl Strategy<Value = i128> {
    prop_oneof![
        Just(FLOOR),
        Just(FLOOR - 1),
        Just(10_000_i128),
        Just(10_001),
        Just(50_000),
        Just(50_001),
        Just(100_000),
        Just(100_001),
        Just(500_000),
        Just(500_001),
        Just(i128::MIN),
        Just(i128::MAX),
        -200_000..=1_000_000_i128,
        any::<i128>(),
    ]
}

fn haversine_m(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (latitude_from, latitude_to) = (from.0.to_radians(), to.0.to_radians());
    let half_latitude = (to.0 - from.0).to_radians() / 2.0;
    let half_longitude = (to.1 - from.1).to_radians() / 2.0;
    let hav = half_latitude.sin().powi(2)
        + latitude_from.cos() * latitude_to.cos() * half_longitude.sin().powi(2);
    2.0 * EARTH_RADIUS_M * hav.sqrt().asin()
}

/// What the file says about one account, worked out without the library.
#[derive(Debug, PartialEq)]
struct Expected {
    refused_as_payer: Option<u16>,
    refused_as_payee: Option<u16>,
    /// Payment maxima that apply, in file order: (rule, max).
    payment_maxima: Vec<(u16, i128)>,
    /// Ceilings that apply, in file order: (rule, max).
    ceilings: Vec<(u16, i128)>,
    melts: bool,
}

/// Evaluates the file by hand; `None` if the account sits within a metre
/// of the circle's edge.
fn expected(account: &AccountAttributes) -> Option<Expected> {
    let kind = account.kind;
    let spared_by_file = account.id == AccountId(5);
    let applies = |spared_kind: Option<AccountKind>, spared_id: Option<u64>| {
        !spared_by_file
            && Some(kind) != spared_kind
            && spared_id.is_none_or(|id| account.id.0 != id)
    };
    let at = account.location.map(|location| (location.latitude(), location.longitude()));
    let codes: Vec<&str> = account.sectors.iter().map(SectorCode::as_str).collect();
    let numeric = |code: &&str| code.bytes().all(|b| b.is_ascii_digit());

    let outside_circle = match at {
        None => true,
        Some(point) => {
            let distance = haversine_m(CENTER, point);
            if (distance - RADIUS_M).abs() < 1.0 {
                return None;
            }
            distance > RADIUS_M
        }
    };
    let outside_cell = at.is_none_or(|(latitude, longitude)| {
        !(CELL_LATITUDE.0 <= latitude
            && latitude <= CELL_LATITUDE.1
            && CELL_LONGITUDE.0 <= longitude
            && longitude <= CELL_LONGITUDE.1)
    });
    let banned = codes.iter().any(|code| {
        code.starts_with("D35")
            || (numeric(code) && (4900..=4999).contains(&code.parse::<u32>().unwrap()))
    });
    let approved =
        codes.iter().any(|code| ["A01", "G47", "5411"].iter().any(|p| code.starts_with(p)));

    // (rule, refuses as payer, refuses as payee), in file order.
    let refusals = [
        (0, applies(Some(AccountKind::Reserve), Some(3)) && outside_circle, true, true),
        (1, applies(Some(AccountKind::Fund), None) && banned, false, true),
        (2, applies(Some(AccountKind::Member), None) && !approved, true, false),
        (6, applies(None, None) && outside_cell, false, true),
    ];
    let first = |payer_side: bool| {
        refusals
            .iter()
            .find(|&&(_, refuses, as_payer, as_payee)| {
                refuses && if payer_side { as_payer } else { as_payee }
            })
            .map(|&(rule, ..)| rule)
    };
    let keep = |limits: &[(u16, i128, Option<AccountKind>)]| -> Vec<(u16, i128)> {
        limits
            .iter()
            .filter(|(_, _, spared)| applies(*spared, None))
            .map(|&(r, max, _)| (r, max))
            .collect()
    };

    Some(Expected {
        refused_as_payer: first(true),
        refused_as_payee: first(false),
        payment_maxima: keep(&[
            (3, 50_000, Some(AccountKind::Fund)),
            (7, 10_000, Some(AccountKind::Merchant)),
        ]),
        ceilings: keep(&[(4, 500_000, None), (8, 100_000, Some(AccountKind::Member))]),
        melts: applies(Some(AccountKind::Fund), Some(4)),
    })
}

fn lowest(limits: &[(u16, i128)]) -> Option<(u16, i128)> {
    limits.iter().copied().min_by_key(|&(rule, max)| (max, rule))
}

fn check_transfer(
    rules: &RuleSet,
    accounts: [(&AccountAttributes, &AccountProfile); 2],
    amount: i128,
    payer_after: i128,
    payee_after: i128,
) -> Result<Verdict, Box<RuleViolation>> {
    let [(payer, payer_profile), (payee, payee_profile)] = accounts;
    rules.check(&Movement::Transfer {
        payer: Party { attributes: payer, profile: payer_profile, balance_after: payer_after },
        payee: Party { attributes: payee, profile: payee_profile, balance_after: payee_after },
        amount,
    })
}

proptest! {
    #[test]
    fn profiles_agree_with_a_naive_reading_of_the_file(account in attributes()) {
        let rules = RuleSet::compile(&CurrencySpec::from_toml_str(FILE).unwrap()).unwrap();
        let profile = rules.profile(&account);
        let Some(expected) = expected(&account) else { return Ok(()) };

        prop_assert_eq!(profile.refused_as_payer, expected.refused_as_payer);
        prop_assert_eq!(profile.refused_as_payee, expected.refused_as_payee);
        prop_assert_eq!(profile.payment_max, lowest(&expected.payment_maxima));
        prop_assert_eq!(profile.ceiling, lowest(&expected.ceilings));
        prop_assert_eq!(profile.melts, expected.melts);
    }

    #[test]
    fn transfers_are_refused_by_the_earliest_failing_rule(
        payer in attributes(),
        payee in attributes(),
        amount in figure(),
        payer_after in figure(),
        payee_after in figure(),
    ) {
        let rules = RuleSet::compile(&CurrencySpec::from_toml_str(FILE).unwrap()).unwrap();
        let (payer_profile, payee_profile) = (rules.profile(&payer), rules.profile(&payee));
        let accounts = [(&payer, &payer_profile), (&payee, &payee_profile)];
        let verdict = check_transfer(&rules, accounts, amount, payer_after, payee_after);

        // The same answer again, and from a second compilation of the file.
        let repeat = |rules: &RuleSet| {
            check_transfer(rules, accounts, amount, payer_after, payee_after)
        };
        prop_assert_eq!(&repeat(&rules), &verdict);
        let again = RuleSet::compile(&CurrencySpec::from_toml_str(FILE).unwrap()).unwrap();
        prop_assert_eq!(&repeat(&again), &verdict);

        let (Some(payer_expected), Some(payee_expected)) = (expected(&payer), expected(&payee))
        else {
            return Ok(());
        };
        // Every failing rule, as (rank in the file, path); the credit limit
        // ranks after all of them.
        let mut failing: Vec<(u32, String)> = Vec::new();
        let mut fail = |rule: u16| failing.push((u32::from(rule), format!("rules[{rule}]")));
        payer_expected.refused_as_payer.into_iter().for_each(&mut fail);
        payee_expected.refused_as_payee.into_iter().for_each(&mut fail);
        let broken = |limits: &[(u16, i128)], value: i128| -> Vec<u16> {
            limits.iter().filter(|(_, max)| value > *max).map(|(rule, _)| *rule).collect()
        };
        broken(&payer_expected.payment_maxima, amount).into_iter().for_each(&mut fail);
        broken(&payee_expected.ceilings, payee_after).into_iter().for_each(&mut fail);
        if payer_after < FLOOR {
            failing.push((u32::MAX, "supply.credit_limit".to_owned()));
        }
        let named = failing.into_iter().min().map(|(_, path)| path);

        prop_assert_eq!(verdict.err().map(|violation| violation.rule.path), named);
    }

    #[test]
    fn issues_and_redemptions_never_panic_and_repeat(
        account in attributes(),
        amount in figure(),
        balance_after in figure(),
        supply_after in figure(),
        cap in prop_oneof![Just(None), figure().prop_map(Some)],
    ) {
        let rules = RuleSet::compile(&CurrencySpec::from_toml_str(FILE).unwrap()).unwrap();
        let profile = rules.profile(&account);
        let party = Party { attributes: &account, profile: &profile, balance_after };
        let movements = [
            Movement::Issue { payee: party, amount, supply_after, cap },
            Movement::Redeem { payer: party, amount },
        ];
        for movement in movements {
            let verdict = rules.check(&movement);
            prop_assert_eq!(rules.check(&movement), verdict.clone());
            if let Err(violation) = verdict {
                prop_assert!(!violation.to_string().is_empty());
            }
        }

        // A redemption is held only to the credit limit.
        let redeem = rules.check(&Movement::Redeem { payer: party, amount });
        prop_assert_eq!(redeem.is_err(), balance_after < FLOOR);
    }
}
