//! The example currency files in `examples/currencies/` are where currency
//! designers start, so they must load, and they must mean what their text and
//! comments say. Each test reads one file through the public loader (TOML or
//! JSON) and checks its key fields against values worked out by hand from
//! the file's text: a code, a number of minor units, a period in seconds.
//! The village's keys are recomputed here from the derivation recipe written
//! in the file, so the file's comment and its hex cannot drift apart.

// A helper outside the test functions panics on a missing rule, as a failed
// test should.
#![allow(clippy::panic)]

use std::collections::BTreeSet;

use opencoin_core::ed25519_dalek::{SigningKey, VerifyingKey};
use opencoin_core::rust_decimal::Decimal;
use opencoin_core::spec::{
    AreaSpec, DemurrageSpec, Enforcement, MeltDestination, MeltRounding, Party, RuleKind,
    SectorDirection, SectorMode, SectorPattern, SupplyPolicy,
};
use opencoin_core::{AccountId, AccountKind, CurrencySpec, SectorCode};

const VILLAGE_TOML: &str = include_str!("../../examples/currencies/village.toml");
const TIMEBANK_JSON: &str = include_str!("../../examples/currencies/timebank.json");
const BASIC_INCOME_TOML: &str = include_str!("../../examples/currencies/basic-income.toml");

/// The public key of an example village key, derived as the file's comment
/// says: blake3 key derivation of the name, used as an ed25519 seed.
fn village_key(name: &str) -> VerifyingKey {
    let seed = blake3::derive_key("opencoin example village key", name.as_bytes());
    SigningKey::from_bytes(&seed).verifying_key()
}

fn kinds(names: &[AccountKind]) -> BTreeSet<AccountKind> {
    names.iter().copied().collect()
}

fn rule_kind<'a>(spec: &'a CurrencySpec, name: &str) -> &'a RuleKind {
    let rule = spec.rules.iter().find(|rule| rule.name == name);
    &rule.unwrap_or_else(|| panic!("no rule named {name:?}")).kind
}

#[test]
fn village_loads_with_its_supply_and_accounts() {
    let spec = CurrencySpec::from_toml_str(VILLAGE_TOML).unwrap();

    assert_eq!(spec.code.as_str(), "VLG");
    assert_eq!(spec.decimals, 2);
    assert_eq!(spec.name, "Valmonte village money");

    // cap = "1000000.00": one million whole units of 100 cents each.
    let SupplyPolicy::Issued { issuers, cap } = &spec.supply else {
        panic!("village supply is not issued: {:?}", spec.supply);
    };
    assert_eq!(issuers, &vec![village_key("issuer")]);
    assert_eq!(cap.map(|cap| cap.minor_units()), Some(100_000_000));

    assert_eq!(spec.accounts.len(), 2);
    let fund = &spec.accounts[0];
    assert_eq!((fund.id, fund.kind), (AccountId(1), AccountKind::Fund));
    assert_eq!(fund.owner, village_key("fund"));
    assert!(fund.opening_balance.is_zero());
    let issuer = &spec.accounts[1];
    assert_eq!((issuer.id, issuer.kind), (AccountId(2), AccountKind::Issuer));
    assert_eq!(issuer.owner, village_key("issuer"));

    // Locations are written [latitude, longitude]: the hall is at 44.6235 N.
    let hall = fund.location.unwrap();
    assert_eq!((hall.latitude(), hall.longitude()), (44.6235, 6.7815));
    assert!(spec.exchange_links.is_empty());
    assert!(spec.exempt_accounts.is_empty());
}

#[test]
fn village_demurrage_is_two_percent_per_ninety_days_daily() {
    let spec = CurrencySpec::from_toml_str(VILLAGE_TOML).unwrap();
    let (index, rule, demurrage) = spec.demurrage().unwrap();

    // The demurrage rule is the second rule in the file.
    assert_eq!(index, 1);
    assert_eq!(rule.name, "idle money melts");
    assert_eq!(rule.exempt_kinds, kinds(&[AccountKind::Fund, AccountKind::Issuer]));

    // "2%" is 2/100; "90d" is 90 * 86,400 = 7,776,000 s; "day" is 86,400 s;
    // "50.00" is 5,000 cents.
    let DemurrageSpec { rate, period, step, free_allowance, rounding, destination } = demurrage;
    assert_eq!(*rate, Decimal::new(2, 2));
    assert_eq!(period.seconds(), 7_776_000);
    assert_eq!(step.seconds(), 86_400);
    assert_eq!(free_allowance.minor_units(), 5_000);
    assert_eq!(*rounding, MeltRounding::Down);
    assert_eq!(*destination, MeltDestination::Account(AccountId(1)));
}

#[test]
fn village_perimeter_is_a_polygon_with_one_hole_inside_it() {
    let spec = CurrencySpec::from_toml_str(VILLAGE_TOML).unwrap();
    let RuleKind::Perimeter(perimeter) = rule_kind(&spec, "stays in Valmonte") else {
        panic!("\"stays in Valmonte\" is not a perimeter rule");
    };
    assert_eq!(perimeter.applies_to, Party::Both);
    assert_eq!(spec.rules[0].exempt_kinds, kinds(&[AccountKind::Fund, AccountKind::Issuer]));

    let AreaSpec::Polygon(polygon) = &perimeter.area else {
        panic!("the village perimeter is not a polygon: {:?}", perimeter.area);
    };

    // The file lists 9 outline positions and 5 hole positions, each ring
    // closed by repeating its first point; the loader drops the repetition.
    assert_eq!(polygon.exterior.len(), 8);
    assert_eq!(polygon.holes.len(), 1);
    assert_eq!(polygon.holes[0].len(), 4);

    // GeoJSON writes [longitude, latitude]: the first outline position
    // [6.7600, 44.6080] is latitude 44.608.
    assert_eq!(polygon.exterior[0].latitude(), 44.608);
    assert_eq!(polygon.exterior[0].longitude(), 6.76);

    // A designer's sanity check: the hole lies within the outline's bounding
    // box (the exact containment is geometry, checked by the rules crate).
    let latitudes = || polygon.exterior.iter().map(|point| point.latitude());
    let longitudes = || polygon.exterior.iter().map(|point| point.longitude());
    let (south, north) = (latitudes().fold(90.0, f64::min), latitudes().fold(-90.0, f64::max));
    let (west, east) = (longitudes().fold(180.0, f64::min), longitudes().fold(-180.0, f64::max));
    for point in &polygon.holes[0] {
        assert!((south..=north).contains(&point.latitude()), "{point} outside the outline");
        assert!((west..=east).contains(&point.longitude()), "{point} outside the outline");
    }
}

#[test]
fn village_bans_fossil_fuel_and_limits_balances_and_payments() {
    let spec = CurrencySpec::from_toml_str(VILLAGE_TOML).unwrap();
    assert_eq!(spec.rules.len(), 5);

    let RuleKind::Sectors(sectors) = rule_kind(&spec, "no fossil fuel") else {
        panic!("\"no fossil fuel\" is not a sector rule");
    };
    assert_eq!(sectors.mode, SectorMode::Ban);
    assert_eq!(sectors.direction, SectorDirection::PayingInto);
    let code = |text: &str| SectorPattern::Prefix(SectorCode::new(text).unwrap());
    let expected = vec![
        code("5983"),
        code("5172"),
        SectorPattern::Range { low: 5541, high: 5542 },
        code("B05"),
    ];
    assert_eq!(sectors.patterns, expected);
    assert!(sectors.reason.contains("fossil fuels"));
    assert!(spec.rules[2].exempt_kinds.is_empty(), "the sector ban spares no kind");

    // "20000.00" is 2,000,000 cents and "5000.00" is 500,000 cents.
    let ceiling = rule_kind(&spec, "no hoarding");
    assert!(matches!(ceiling, RuleKind::BalanceCeiling { max } if max.minor_units() == 2_000_000));
    let payment = rule_kind(&spec, "everyday payments only");
    assert!(matches!(payment, RuleKind::PaymentMax { max } if max.minor_units() == 500_000));
}

#[test]
fn timebank_is_soft_mutual_credit_with_a_service_allow_list() {
    let spec = CurrencySpec::from_json_str(TIMEBANK_JSON).unwrap();

    assert_eq!(spec.code.as_str(), "HOUR");
    assert_eq!(spec.decimals, 2);
    assert!(spec.accounts.is_empty());

    // "40.00" hours of credit is 4,000 minor units.
    let SupplyPolicy::MutualCredit { credit_limit, enforcement } = &spec.supply else {
        panic!("timebank supply is not mutual credit: {:?}", spec.supply);
    };
    assert_eq!(credit_limit.minor_units(), 4_000);
    assert_eq!(*enforcement, Enforcement::Soft);

    assert_eq!(spec.rules.len(), 2);
    let payment = rule_kind(&spec, "at most a long working day per payment");
    assert!(matches!(payment, RuleKind::PaymentMax { max } if max.minor_units() == 1_000));

    let RuleKind::Sectors(sectors) = rule_kind(&spec, "services between neighbours only") else {
        panic!("the timebank's second rule is not a sector rule");
    };
    assert_eq!(sectors.mode, SectorMode::Allow);
    assert_eq!(sectors.patterns.len(), 5);
    assert_eq!(sectors.patterns[4], SectorPattern::Range { low: 7210, high: 7299 });
    assert_eq!(spec.rules[1].exempt_kinds, kinds(&[AccountKind::Member]));
    assert!(spec.demurrage().is_none());
}

#[test]
fn basic_income_pays_fifty_per_thirty_days_and_burns_hourly() {
    let spec = CurrencySpec::from_toml_str(BASIC_INCOME_TOML).unwrap();

    assert_eq!(spec.code.as_str(), "BASIC");
    assert_eq!(spec.decimals, 2);

    // "50.00" is 5,000 cents; "30d" is 30 * 86,400 = 2,592,000 s.
    let SupplyPolicy::BasicIncome { amount, period } = &spec.supply else {
        panic!("basic-income supply is not basic income: {:?}", spec.supply);
    };
    assert_eq!(amount.minor_units(), 5_000);
    assert_eq!(period.seconds(), 2_592_000);

    // "5%" is 5/100; the step "hour" is 3,600 s, and 720 of them make 30d.
    let (_, rule, demurrage) = spec.demurrage().unwrap();
    assert_eq!(rule.name, "money melts back");
    assert_eq!(demurrage.rate, Decimal::new(5, 2));
    assert_eq!(demurrage.period.seconds(), 2_592_000);
    assert_eq!(demurrage.step.seconds(), 3_600);
    assert_eq!(demurrage.rounding, MeltRounding::Nearest);
    assert_eq!(demurrage.destination, MeltDestination::Burn);
    assert!(demurrage.free_allowance.is_zero());
}
