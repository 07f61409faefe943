//! `RuleSet::check` gives the verdict every payment waits for. Each test
//! here compiles a small currency file, profiles a few accounts and checks
//! movements row by row: which side a perimeter covers and what happens to
//! an account without a location, what per-rule and file-wide exemptions
//! spare, which direction a sector list looks at (ban and allow lists,
//! prefixes and ranges), limits exactly at and one minor unit past their
//! figure, a soft credit floor that warns instead of refusing, which
//! accounts melt under demurrage, and which rule is named when several
//! refuse: the earliest in the file, with the supply limits after every
//! file rule. A refusal must name its rule by path, name and kind, carry the
//! figures, and read as a sentence that contains them.
//!
//! Expected figures are written from the file text of each test (a limit of
//! "50.00" and a payment one minor unit over it is "50.01"), not read back
//! from the library.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use opencoin_core::ed25519_dalek::SigningKey;
use opencoin_core::{
    AccountAttributes, AccountId, AccountKind, Amount, CurrencyCode, CurrencySpec, Location,
    SectorCode,
};
use opencoin_rules::{
    Movement, Party, RuleSet, RuleViolation, Side, Verdict, ViolationDetail, Warning,
};

/// The lines every test file starts with.
const HEAD: &str = r#"
code = "VLG"
name = "Village"
decimals = 2
"#;

/// Mutual credit down to -100.00, refused past it.
const MUTUAL_CREDIT: &str = r#"supply = { policy = "mutual_credit", credit_limit = "100.00" }"#;

/// A circle of 5 km around the centre of Lausanne.
const CIRCLE: &str = "area = { circle = { center = [46.52, 6.63], radius_km = 5 } }";

/// Where an account is, as (latitude, longitude), if anywhere.
type Place = Option<(f64, f64)>;

/// The centre of the circle, and a point one and a half degrees of latitude
/// (about 165 km) north of it.
const HOME: Place = Some((46.52, 6.63));
const AWAY: Place = Some((48.02, 6.63));

fn compile(body: &str) -> RuleSet {
    let text = format!("{HEAD}{body}");
    let spec = CurrencySpec::from_toml_str(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
    RuleSet::compile(&spec).unwrap()
}

fn account(id: u64, kind: AccountKind, at: Place, sectors: &[&str]) -> AccountAttributes {
    AccountAttributes {
        id: AccountId(id),
        currency: CurrencyCode::new("VLG").unwrap(),
        kind,
        location: at.map(|(latitude, longitude)| Location::new(latitude, longitude).unwrap()),
        sectors: sectors.iter().map(|code| SectorCode::new(code).unwrap()).collect(),
    }
}

fn member(id: u64, at: Place) -> AccountAttributes {
    account(id, AccountKind::Member, at, &[])
}

fn trader(id: u64, sectors: &[&str]) -> AccountAttributes {
    account(id, AccountKind::Merchant, HOME, sectors)
}

fn cents(text: &str) -> Amount {
    Amount::parse(text, 2).unwrap()
}

/// Checks a transfer of `amount` leaving the given balances.
fn transfer(
    rules: &RuleSet,
    payer: &AccountAttributes,
    payee: &AccountAttributes,
    amount: i128,
    payer_after: i128,
    payee_after: i128,
) -> Result<Verdict, Box<RuleViolation>> {
    let (payer_profile, payee_profile) = (rules.profile(payer), rules.profile(payee));
    rules.check(&Movement::Transfer {
        payer: Party { attributes: payer, profile: &payer_profile, balance_after: payer_after },
        payee: Party { attributes: payee, profile: &payee_profile, balance_after: payee_after },
        amount,
    })
}

/// A transfer of 1.00 between accounts that hold nothing else.
fn small_transfer(
    rules: &RuleSet,
    payer: &AccountAttributes,
    payee: &AccountAttributes,
) -> Result<Verdict, Box<RuleViolation>> {
    transfer(rules, payer, payee, 100, -100, 100)
}

fn issue(
    rules: &RuleSet,
    payee: &AccountAttributes,
    payee_after: i128,
    supply_after: i128,
    cap: Option<i128>,
) -> Result<Verdict, Box<RuleViolation>> {
    let profile = rules.profile(payee);
    rules.check(&Movement::Issue {
        payee: Party { attributes: payee, profile: &profile, balance_after: payee_after },
        amount: 100,
        supply_after,
        cap,
    })
}

fn redeem(
    rules: &RuleSet,
    payer: &AccountAttributes,
    payer_after: i128,
) -> Result<Verdict, Box<RuleViolation>> {
    let profile = rules.profile(payer);
    rules.check(&Movement::Redeem {
        payer: Party { attributes: payer, profile: &profile, balance_after: payer_after },
        amount: 100,
    })
}

/// Asserts that the refusal reads as one lowercase sentence without a final
/// full stop that names the rule's path and contains every figure.
fn assert_readable(violation: &RuleViolation, figures: &[&str]) {
    let text = violation.to_string();
    assert!(text.starts_with(char::is_lowercase), "{text}");
    assert!(!text.ends_with('.'), "{text}");
    assert!(text.contains(&violation.rule.path), "{text}");
    for figure in figures {
        assert!(text.contains(figure), "{figure:?} missing from {text:?}");
    }
}

fn issuer_key_hex() -> String {
    let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
    key.to_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn perimeter_sides_and_missing_locations() {
    // (applies_to, payer location, payee location, side refused)
    let rows: &[(&str, Place, Place, Option<Side>)] = &[
        ("both", HOME, HOME, None),
        ("both", AWAY, HOME, Some(Side::Payer)),
        ("both", HOME, AWAY, Some(Side::Payee)),
        ("payer", HOME, AWAY, None),
        ("payer", AWAY, HOME, Some(Side::Payer)),
        ("payee", AWAY, HOME, None),
        ("payee", HOME, AWAY, Some(Side::Payee)),
        // An account with no location is outside every perimeter.
        ("both", None, HOME, Some(Side::Payer)),
        ("payee", HOME, None, Some(Side::Payee)),
        ("payer", HOME, None, None),
    ];
    for &(applies_to, payer_at, payee_at, refused) in rows {
        let rules = compile(&format!(
            "{MUTUAL_CREDIT}\n[[rules]]\nkind = \"perimeter\"\n\
             applies_to = \"{applies_to}\"\n{CIRCLE}\n"
        ));
        let (payer, payee) = (member(1, payer_at), member(2, payee_at));
        let row = format!("applies_to {applies_to}, payer {payer_at:?}, payee {payee_at:?}");

        let verdict = small_transfer(&rules, &payer, &payee);
        match refused {
            None => assert_eq!(verdict, Ok(Verdict::Allowed), "{row}"),
            Some(side) => {
                let violation = verdict.expect_err(&row);
                let outsider = if side == Side::Payer { &payer } else { &payee };
                assert_eq!(violation.rule.path, "rules[0]", "{row}");
                assert_eq!(violation.rule.kind, "perimeter", "{row}");
                assert_eq!(violation.rule.name, "perimeter #0", "{row}");
                assert_eq!(
                    violation.detail,
                    ViolationDetail::OutsidePerimeter {
                        side,
                        account: outsider.id,
                        location: outsider.location,
                    },
                    "{row}"
                );
                let place = if outsider.location.is_some() { "48.02" } else { "no location" };
                assert_readable(&violation, &[&outsider.id.to_string(), place]);
            }
        }
    }
}

#[test]
fn perimeter_outside_on_both_sides_names_the_payer() {
    // Both are outside; `RuleSet::check` promises a single, stable answer
    // that names the payer when both sides break the same rule.
    let rules = compile(&format!("{MUTUAL_CREDIT}\n[[rules]]\nkind = \"perimeter\"\n{CIRCLE}\n"));
    let (payer, payee) = (member(1, AWAY), member(2, AWAY));
    let first = small_transfer(&rules, &payer, &payee).unwrap_err();
    let again = small_transfer(&rules, &payer, &payee).unwrap_err();
    assert_eq!(first, again);
    assert_eq!(
        first.detail,
        ViolationDetail::OutsidePerimeter {
            side: Side::Payer,
            account: payer.id,
            location: payer.location,
        }
    );
}

#[test]
fn exemptions_spare_only_what_they_name() {
    // Rule 0 spares funds and account 7; the file spares account 8 from
    // every rule; rule 1 (a payment maximum of 10.00) spares no one.
    let rules = compile(&format!(
        r#"{MUTUAL_CREDIT}
exempt_accounts = [8]

[[rules]]
kind = "perimeter"
exempt = {{ kinds = ["fund"], accounts = [7] }}
{CIRCLE}

[[rules]]
kind = "payment_max"
name = "small payments"
max = "10.00"
"#
    ));
    let inside = member(1, HOME);

    // (payer, amount, rule that refuses)
    let rows: &[(AccountAttributes, i128, Option<&str>)] = &[
        (account(3, AccountKind::Fund, AWAY, &[]), 1_000, None),
        (member(7, AWAY), 1_000, None),
        (member(8, AWAY), 1_000, None),
        (account(4, AccountKind::Merchant, AWAY, &[]), 1_000, Some("rules[0]")),
        (member(9, AWAY), 1_000, Some("rules[0]")),
        // Spared by the perimeter only: the payment maximum still applies.
        (account(3, AccountKind::Fund, AWAY, &[]), 1_001, Some("rules[1]")),
        (member(7, AWAY), 1_001, Some("rules[1]")),
        // Spared by the file: no rule applies.
        (member(8, AWAY), 1_000_000, None),
    ];
    for (payer, amount, refused_by) in rows {
        let verdict = transfer(&rules, payer, &inside, *amount, 0, *amount);
        let row = format!("{:?} #{} paying {amount}", payer.kind, payer.id.0);
        assert_eq!(
            verdict.err().map(|violation| violation.rule.path),
            refused_by.map(String::from),
            "{row}"
        );
    }

    // The same exemptions work on the payee side.
    let fund_away = account(3, AccountKind::Fund, AWAY, &[]);
    assert_eq!(small_transfer(&rules, &inside, &fund_away), Ok(Verdict::Allowed));
    assert_eq!(small_transfer(&rules, &inside, &member(8, AWAY)), Ok(Verdict::Allowed));
    assert!(small_transfer(&rules, &inside, &member(9, AWAY)).is_err());
}

#[test]
fn file_wide_exemption_does_not_lift_the_credit_limit() {
    let rules = compile(&format!("{MUTUAL_CREDIT}\nexempt_accounts = [8]\n"));
    let violation =
        transfer(&rules, &member(8, HOME), &member(2, HOME), 10_001, -10_001, 10_001).unwrap_err();
    assert_eq!(violation.rule.path, "supply.credit_limit");
}

fn sector_rules(mode: &str, codes: &str, direction: &str, reason: &str) -> RuleSet {
    compile(&format!(
        r#"{MUTUAL_CREDIT}
[[rules]]
kind = "sectors"
mode = "{mode}"
codes = {codes}
direction = "{direction}"
reason = "{reason}"
"#
    ))
}

#[test]
fn sector_ban_directions_prefixes_and_ranges() {
    let codes = r#"["D35", "4900-4999"]"#;
    let reason = "no fossil energy";
    // (direction, payer sectors, payee sectors, refused side and sector)
    type Row = (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        Option<(Side, &'static str)>,
    );
    let rows: &[Row] = &[
        ("paying_into", &[], &["D35.11"], Some((Side::Payee, "D35.11"))),
        ("paying_into", &["D35.11"], &[], None),
        ("receiving_from", &["D35"], &[], Some((Side::Payer, "D35"))),
        ("receiving_from", &[], &["D35"], None),
        ("both", &["D35.2"], &[], Some((Side::Payer, "D35.2"))),
        ("both", &[], &["D35.2"], Some((Side::Payee, "D35.2"))),
        // Range ends are included; the neighbours outside are not.
        ("paying_into", &[], &["4900"], Some((Side::Payee, "4900"))),
        ("paying_into", &[], &["4999"], Some((Side::Payee, "4999"))),
        ("paying_into", &[], &["4899"], None),
        ("paying_into", &[], &["5000"], None),
        // A longer number is a different code, not in the branch of a range.
        ("paying_into", &[], &["49500"], None),
        // A prefix covers its branch, not its siblings.
        ("paying_into", &[], &["D36"], None),
        ("paying_into", &[], &["D3"], None),
        // The first listed sector of the account is the one blamed.
        ("paying_into", &[], &["A01", "4950", "D35"], Some((Side::Payee, "4950"))),
    ];
    for &(direction, payer_sectors, payee_sectors, refused) in rows {
        let rules = sector_rules("ban", codes, direction, reason);
        let (payer, payee) = (trader(1, payer_sectors), trader(2, payee_sectors));
        let row = format!("{direction}: {payer_sectors:?} paying {payee_sectors:?}");

        let verdict = small_transfer(&rules, &payer, &payee);
        match refused {
            None => assert_eq!(verdict, Ok(Verdict::Allowed), "{row}"),
            Some((side, sector)) => {
                let violation = verdict.expect_err(&row);
                let banned = if side == Side::Payer { &payer } else { &payee };
                assert_eq!(violation.rule.path, "rules[0]", "{row}");
                assert_eq!(violation.rule.kind, "sectors", "{row}");
                assert_eq!(
                    violation.detail,
                    ViolationDetail::SectorBanned {
                        side,
                        account: banned.id,
                        sector: SectorCode::new(sector).unwrap(),
                        reason: reason.to_owned(),
                    },
                    "{row}"
                );
                assert_readable(&violation, &[sector, reason, &banned.id.to_string()]);
            }
        }
    }
}

#[test]
fn sector_allow_list() {
    let reason = "local food only";
    let rules = sector_rules("allow", r#"["A01", "5411"]"#, "paying_into", reason);
    // (payee sectors, allowed)
    let rows: &[(&[&str], bool)] = &[
        (&["A01"], true),
        (&["A01.13"], true),
        (&["5411"], true),
        (&["G47", "5411"], true),
        (&["5412"], false),
        (&["A02"], false),
        // An account in no sector is in none of the approved ones.
        (&[], false),
    ];
    for &(sectors, allowed) in rows {
        let payee = trader(2, sectors);
        let verdict = small_transfer(&rules, &trader(1, &["Z99"]), &payee);
        if allowed {
            assert_eq!(verdict, Ok(Verdict::Allowed), "{sectors:?}");
        } else {
            let violation = verdict.expect_err(&format!("{sectors:?}"));
            assert_eq!(
                violation.detail,
                ViolationDetail::SectorNotApproved {
                    side: Side::Payee,
                    account: payee.id,
                    reason: reason.to_owned(),
                }
            );
            assert_readable(&violation, &[reason, "#2"]);
        }
    }
}

#[test]
fn payment_max_at_and_over_the_limit() {
    let rules = compile(&format!(
        "{MUTUAL_CREDIT}\n[[rules]]\nkind = \"payment_max\"\nmax = \"50.00\"\n\
         exempt = {{ kinds = [\"fund\"] }}\n"
    ));
    let (payer, payee) = (member(1, HOME), member(2, HOME));

    assert_eq!(transfer(&rules, &payer, &payee, 5_000, -5_000, 5_000), Ok(Verdict::Allowed));
    let violation = transfer(&rules, &payer, &payee, 5_001, -5_001, 5_001).unwrap_err();
    assert_eq!(violation.rule.path, "rules[0]");
    assert_eq!(violation.rule.name, "payment_max #0");
    assert_eq!(violation.rule.kind, "payment_max");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsPaymentMax { amount: cents("50.01"), max: cents("50.00") }
    );
    assert_readable(&violation, &["50.01", "50.00"]);

    // The maximum is the payer's: a fund may pay more, and may be paid more.
    let fund = account(3, AccountKind::Fund, HOME, &[]);
    assert_eq!(transfer(&rules, &fund, &payee, 9_000, -9_000, 9_000), Ok(Verdict::Allowed));
    assert!(transfer(&rules, &payer, &fund, 9_000, -9_000, 9_000).is_err());
}

#[test]
fn balance_ceiling_at_and_over_the_limit() {
    let rules = compile(&format!(
        "{MUTUAL_CREDIT}\n[[rules]]\nkind = \"balance_ceiling\"\n\
         name = \"no hoarding\"\nmax = \"1000.00\"\n"
    ));
    let (payer, payee) = (member(1, HOME), member(2, HOME));

    assert_eq!(transfer(&rules, &payer, &payee, 100, -100, 100_000), Ok(Verdict::Allowed));
    let violation = transfer(&rules, &payer, &payee, 100, -100, 100_001).unwrap_err();
    assert_eq!(violation.rule.path, "rules[0]");
    assert_eq!(violation.rule.name, "no hoarding");
    assert_eq!(violation.rule.kind, "balance_ceiling");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsBalanceCeiling {
            account: payee.id,
            balance_after: cents("1000.01"),
            ceiling: cents("1000.00"),
        }
    );
    assert_readable(&violation, &["#2", "1000.01", "1000.00", "no hoarding"]);

    // Only the payee's balance is held to the ceiling.
    assert_eq!(transfer(&rules, &payer, &payee, 100, 200_000, 100), Ok(Verdict::Allowed));

    // Issuing into an account is held to it too.
    assert_eq!(issue(&rules, &payee, 100_000, 100_000, None), Ok(Verdict::Allowed));
    assert_eq!(issue(&rules, &payee, 100_001, 100_001, None).unwrap_err().rule.path, "rules[0]");
}

#[test]
fn hard_credit_floor() {
    let rules = compile(MUTUAL_CREDIT);
    let (payer, payee) = (member(1, HOME), member(2, HOME));
    assert_eq!(rules.hard_floor(), Some(-10_000));

    assert_eq!(transfer(&rules, &payer, &payee, 10_000, -10_000, 10_000), Ok(Verdict::Allowed));
    let violation = transfer(&rules, &payer, &payee, 10_001, -10_001, 10_001).unwrap_err();
    assert_eq!(violation.rule.path, "supply.credit_limit");
    assert_eq!(violation.rule.kind, "credit_limit");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsCreditLimit {
            account: payer.id,
            balance_after: cents("-100.01"),
            floor: cents("-100.00"),
        }
    );
    assert_readable(&violation, &["#1", "-100.01", "-100.00"]);

    // Redeeming is held to the same floor.
    assert_eq!(redeem(&rules, &payer, -10_000), Ok(Verdict::Allowed));
    assert_eq!(redeem(&rules, &payer, -10_001).unwrap_err().rule.path, "supply.credit_limit");
}

#[test]
fn soft_credit_floor_warns() {
    let rules = compile(
        r#"supply = { policy = "mutual_credit", credit_limit = "100.00", enforcement = "soft" }"#,
    );
    let (payer, payee) = (member(1, HOME), member(2, HOME));
    assert_eq!(rules.hard_floor(), None);

    assert_eq!(transfer(&rules, &payer, &payee, 10_000, -10_000, 10_000), Ok(Verdict::Allowed));
    let verdict = transfer(&rules, &payer, &payee, 10_001, -10_001, 10_001).unwrap();
    let expected = Warning::CreditLimitExceeded {
        account: payer.id,
        balance_after: cents("-100.01"),
        floor: cents("-100.00"),
    };
    assert_eq!(verdict, Verdict::Warned(expected.clone()));
    let text = expected.to_string();
    assert!(text.contains("-100.01") && text.contains("-100.00") && text.contains("#1"), "{text}");
    assert_eq!(
        redeem(&rules, &payer, -50_000),
        Ok(Verdict::Warned(Warning::CreditLimitExceeded {
            account: payer.id,
            balance_after: cents("-500.00"),
            floor: cents("-100.00"),
        }))
    );
}

#[test]
fn supply_cap_at_and_over() {
    let rules = compile(&format!(
        "supply = {{ policy = \"issued\", issuers = [\"{}\"], cap = \"5000.00\" }}\n",
        issuer_key_hex()
    ));
    let payee = member(2, HOME);
    assert_eq!(rules.hard_floor(), Some(0));

    assert_eq!(issue(&rules, &payee, 100, 500_000, Some(500_000)), Ok(Verdict::Allowed));
    let violation = issue(&rules, &payee, 100, 500_001, Some(500_000)).unwrap_err();
    assert_eq!(violation.rule.path, "supply.cap");
    assert_eq!(violation.rule.kind, "supply_cap");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsSupplyCap { supply_after: cents("5000.01"), cap: cents("5000.00") }
    );
    assert_readable(&violation, &["5000.01", "5000.00"]);

    // Without a cap, any supply passes.
    assert_eq!(issue(&rules, &payee, 100, 10_i128.pow(20), None), Ok(Verdict::Allowed));
}

#[test]
fn demurrage_spares_its_destination() {
    let key = issuer_key_hex();
    let rules = compile(&format!(
        r#"{MUTUAL_CREDIT}
exempt_accounts = [8]

[[accounts]]
id = 9
name = "community fund"
kind = "fund"
owner = "{key}"

[[rules]]
kind = "demurrage"
rate = "2%"
period = "90d"
step = "day"
destination = {{ account = 9 }}
exempt = {{ kinds = ["reserve"] }}
"#
    ));
    // (account, melts)
    let rows = [
        (account(9, AccountKind::Fund, None, &[]), false),
        (account(10, AccountKind::Fund, None, &[]), true),
        (member(1, HOME), true),
        (account(4, AccountKind::Merchant, AWAY, &["D35"]), true),
        (account(5, AccountKind::Reserve, HOME, &[]), false),
        (member(8, HOME), false),
    ];
    for (account, melts) in rows {
        assert_eq!(rules.profile(&account).melts, melts, "{account:?}");
    }

    // Without a demurrage rule nothing melts.
    assert!(!compile(MUTUAL_CREDIT).profile(&member(1, HOME)).melts);
}

/// Rules that refuse the same transfer, in both orders.
#[test]
fn the_earliest_refusing_rule_is_named() {
    let perimeter = format!("[[rules]]\nkind = \"perimeter\"\napplies_to = \"payee\"\n{CIRCLE}\n");
    let payment_max = "[[rules]]\nkind = \"payment_max\"\nmax = \"10.00\"\n";
    let ban =
        "[[rules]]\nkind = \"sectors\"\nmode = \"ban\"\ncodes = [\"D35\"]\nreason = \"energy\"\n";
    let ceiling = "[[rules]]\nkind = \"balance_ceiling\"\nmax = \"10.00\"\n";

    // The payee is outside the circle, in a banned sector and would pass
    // the ceiling; the payment passes the maximum.
    let payer = member(1, HOME);
    let payee = account(2, AccountKind::Merchant, AWAY, &["D35.1"]);
    // (rules in file order, expected kind of the named rule)
    let rows: &[(&[&str], &str)] = &[
        (&[&perimeter, payment_max], "perimeter"),
        (&[payment_max, &perimeter], "payment_max"),
        (&[ban, ceiling], "sectors"),
        (&[ceiling, ban], "balance_ceiling"),
        (&[ceiling, &perimeter, ban], "balance_ceiling"),
        (&[ban, &perimeter, ceiling, payment_max], "sectors"),
        (&[payment_max, ban, &perimeter, ceiling], "payment_max"),
    ];
    for (rules_text, kind) in rows {
        let rules = compile(&format!("{MUTUAL_CREDIT}\n{}", rules_text.concat()));
        let violation = transfer(&rules, &payer, &payee, 2_000, -2_000, 2_000).unwrap_err();
        assert_eq!(violation.rule.path, "rules[0]", "{rules_text:?}");
        assert_eq!(violation.rule.kind, *kind, "{rules_text:?}");
    }
}

#[test]
fn supply_limits_rank_after_every_file_rule() {
    // Past the credit floor and over the payment maximum, which is the
    // last rule of the file: the file rule is named.
    let rules = compile(&format!(
        "{MUTUAL_CREDIT}\n[[rules]]\nkind = \"perimeter\"\n{CIRCLE}\n\
         [[rules]]\nkind = \"payment_max\"\nmax = \"10.00\"\n"
    ));
    let violation =
        transfer(&rules, &member(1, HOME), &member(2, HOME), 20_000, -20_000, 20_000).unwrap_err();
    assert_eq!(violation.rule.path, "rules[1]");

    // Past the supply cap and the payee's ceiling: the ceiling is named;
    // past the cap and outside the perimeter: the perimeter is named.
    let rules = compile(&format!(
        "supply = {{ policy = \"issued\", issuers = [\"{}\"] }}\n\
         [[rules]]\nkind = \"perimeter\"\n{CIRCLE}\n\
         [[rules]]\nkind = \"balance_ceiling\"\nmax = \"10.00\"\n",
        issuer_key_hex()
    ));
    let over_cap =
        |payee: &AccountAttributes, payee_after| issue(&rules, payee, payee_after, 101, Some(100));
    assert_eq!(over_cap(&member(2, HOME), 5_000).unwrap_err().rule.path, "rules[1]");
    assert_eq!(over_cap(&member(2, AWAY), 5_000).unwrap_err().rule.path, "rules[0]");
    assert_eq!(over_cap(&member(2, HOME), 100).unwrap_err().rule.path, "supply.cap");
}

/// Two limits of the same family: a payment that breaks both must be
/// refused by the earlier one in the file, whatever their figures.
#[test]
fn the_earliest_of_two_limits_of_one_family_is_named() {
    let rules = compile(&format!(
        "{MUTUAL_CREDIT}\n\
         [[rules]]\nkind = \"payment_max\"\nname = \"everyone\"\nmax = \"100.00\"\n\
         [[rules]]\nkind = \"payment_max\"\nname = \"tighter\"\nmax = \"50.00\"\n\
         [[rules]]\nkind = \"balance_ceiling\"\nname = \"loose ceiling\"\nmax = \"1000.00\"\n\
         [[rules]]\nkind = \"balance_ceiling\"\nname = \"tight ceiling\"\nmax = \"500.00\"\n"
    ));
    let (payer, payee) = (member(1, HOME), member(2, HOME));

    // 75.00 breaks only the second maximum.
    let violation = transfer(&rules, &payer, &payee, 7_500, -7_500, 7_500).unwrap_err();
    assert_eq!(violation.rule.name, "tighter");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsPaymentMax { amount: cents("75.00"), max: cents("50.00") }
    );

    // 150.00 breaks both: the first is named, with its own figure.
    let violation = transfer(&rules, &payer, &payee, 15_000, -15_000, 15_000).unwrap_err();
    assert_eq!(violation.rule.path, "rules[0]");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsPaymentMax { amount: cents("150.00"), max: cents("100.00") }
    );

    // A payee reaching 2000.00 breaks both ceilings: the first is named.
    let violation = transfer(&rules, &payer, &payee, 100, -100, 200_000).unwrap_err();
    assert_eq!(violation.rule.path, "rules[2]");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsBalanceCeiling {
            account: payee.id,
            balance_after: cents("2000.00"),
            ceiling: cents("1000.00"),
        }
    );
}
