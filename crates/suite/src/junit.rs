//! JUnit XML (`--junit FILE`): one testcase per case, its rule IDs as properties,
//! failures and warnings with the report text.

use crate::outcome::{CaseOutcome, CaseStatus};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

/// Renders the outcomes as JUnit XML.
pub fn render(outcomes: &[CaseOutcome], seed: u64) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("contactspec");
    suite.add_property(Property::new("seed", seed.to_string()));
    let mut total = std::time::Duration::ZERO;
    for o in outcomes {
        total += o.duration;
        let status = match &o.status {
            CaseStatus::Passed | CaseStatus::Warned => TestCaseStatus::success(),
            CaseStatus::Failed => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let rules = if o.failed_rules.is_empty() {
                    "no rule (the case could not be checked)".to_string()
                } else {
                    o.failed_rules.join(", ")
                };
                s.set_message(format!("broken: {rules}"));
                s.set_description(o.report.clone());
                s
            }
            CaseStatus::Ignored(why) => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(why.clone());
                s
            }
        };
        let (classname, name) = match o.name.rsplit_once("::") {
            Some((c, n)) => (c.to_string(), n.to_string()),
            None => (String::new(), o.name.clone()),
        };
        let mut tc = TestCase::new(name, status);
        tc.set_classname(classname);
        tc.set_time(o.duration);
        for r in &o.rules {
            tc.add_property(Property::new("rule", r.clone()));
        }
        if o.status == CaseStatus::Warned {
            tc.add_property(Property::new("warning", o.failed_rules.join(", ")));
            tc.set_system_out(format!("WARNING (SHOULD rules broken)\n{}", o.report));
        }
        suite.add_test_case(tc);
    }
    suite.set_time(total);
    let mut report = Report::new("contactspec");
    report.add_test_suite(suite);
    report.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outcome(name: &str, status: CaseStatus, failed: &[&str]) -> CaseOutcome {
        CaseOutcome {
            name: name.into(),
            rules: vec!["CT-CREATE".into(), "CT-ECHO".into()],
            status,
            failed_rules: failed.iter().map(|s| s.to_string()).collect(),
            duration: Duration::from_millis(3),
            requests: 2,
            failures: Vec::new(),
            report: "the report <&>".into(),
        }
    }

    #[test]
    fn one_testcase_per_case_with_rules() {
        let xml = render(
            &[
                outcome("contacts::create::ok", CaseStatus::Passed, &[]),
                outcome("contacts::create::bad", CaseStatus::Failed, &["CT-ECHO"]),
                outcome(
                    "contacts::create::warn",
                    CaseStatus::Warned,
                    &["CT-ECHO-ORDER"],
                ),
                outcome(
                    "auth::b::needs-b",
                    CaseStatus::Ignored("requires second_token".into()),
                    &[],
                ),
            ],
            42,
        )
        .unwrap();
        assert_eq!(xml.matches("<testcase ").count(), 4, "{xml}");
        assert!(
            xml.contains(r#"<property name="rule" value="CT-CREATE"/>"#),
            "{xml}"
        );
        assert!(xml.contains(r#"message="broken: CT-ECHO""#), "{xml}");
        assert!(xml.contains("the report &lt;&amp;&gt;"), "{xml}");
        assert!(xml.contains("requires second_token"), "{xml}");
        assert!(
            xml.contains(r#"<property name="warning" value="CT-ECHO-ORDER"/>"#),
            "{xml}"
        );
        assert!(xml.contains(r#"classname="contacts::create""#), "{xml}");
    }
}
