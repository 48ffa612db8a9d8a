use super::*;

fn values_for(template: Template) -> Vec<(&'static str, &'static str)> {
    template
        .placeholders()
        .iter()
        .map(|name| (*name, "VALUE"))
        .collect()
}

#[test]
fn every_template_renders_from_the_values_its_rule_gives_and_leaves_no_brace() {
    let texts = NoticeTexts::builtin();
    for template in Template::ALL {
        let values = values_for(template);
        let rendered = match template.shape() {
            Shape::Notice => {
                let notice = texts.notice(template, &values);
                assert!(!notice.subject.is_empty(), "{}", template.id());
                assert!(!notice.subject.contains('\n'), "{}", template.id());
                format!("{}\n{}", notice.subject, notice.body)
            }
            Shape::Phrase => texts.phrase(template, &values),
        };
        assert!(
            !rendered.contains(['{', '}']),
            "{}: {rendered}",
            template.id()
        );
        assert!(
            !rendered.starts_with(char::is_whitespace),
            "{}",
            template.id()
        );
    }
}

#[test]
fn every_placeholder_a_template_gives_is_used_by_the_built_in_texts() {
    // A value a rule gives but no text says is probably a text that forgot it.
    let texts = NoticeTexts::builtin();
    for template in Template::ALL {
        let entry = &texts.entries[&template];
        let all = [&entry.subject, &entry.body, &entry.text]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        for name in template.placeholders() {
            assert!(
                all.contains(&format!("{{{name}}}")),
                "{} never says {{{name}}}",
                template.id()
            );
        }
    }
}

#[test]
fn every_template_and_its_values_are_documented() {
    let documented = include_str!("../../../../docs/events.md");
    for template in Template::ALL {
        assert!(
            documented.contains(&format!("`{}`", template.id())),
            "docs/events.md misses the template {}",
            template.id()
        );
    }
}

#[test]
fn an_operators_file_replaces_some_texts_and_keeps_the_others() {
    let builtin = NoticeTexts::builtin();
    let text = r#"
[instance_expired]
subject = "Expired: {instance}"
body = "{product} {instance} stopped on {expires_at}; renew before {release_at}."
"#;
    let texts = parse_texts("mine/notices.toml", text, Some(&builtin)).unwrap();
    let values = [
        ("product", "DNS"),
        ("instance", "inst_1"),
        ("expires_at", "2026-03-10 00:00 UTC"),
        ("release_at", "2026-03-17 00:00 UTC"),
    ];
    let expired = texts.notice(Template::InstanceExpired, &values);
    assert_eq!(expired.subject, "Expired: inst_1");
    assert_eq!(
        expired.body,
        "DNS inst_1 stopped on 2026-03-10 00:00 UTC; renew before 2026-03-17 00:00 UTC."
    );
    let values = [("available_credit", "1.00 USD"), ("threshold", "5.00 USD")];
    assert_eq!(
        texts.notice(Template::LowBalance, &values),
        builtin.notice(Template::LowBalance, &values)
    );
}

#[test]
fn loading_names_every_problem_of_a_file() {
    let text = r#"
[instance_expired]
subject = "{product} {instance} expired"
body = "It is released on {release_time}."

[instance_expird]
subject = "a"
body = "b"

[refund_to_balance]
subject = "a phrase has no subject"

[low_balance]
body = "no subject"
"#;
    let errors = parse_texts("mine/notices.toml", text, Some(&NoticeTexts::builtin())).unwrap_err();
    let said: Vec<String> = errors
        .iter()
        .map(|error| format!("{}: {}", error.field, error.problem))
        .collect();
    assert_eq!(
        said,
        [
            "instance_expird: no notice or phrase has this name (docs/events.md lists them)",
            "instance_expired.body: `{release_time}` is not a value this notice gives",
            "low_balance.subject: missing",
            "refund_to_balance.subject: a phrase has a text, not a subject or a body",
            "refund_to_balance.text: missing",
        ]
    );
    assert!(errors.iter().all(|error| error.file == "mine/notices.toml"));
}

#[test]
fn the_built_in_file_must_hold_every_template() {
    let errors = parse_texts(
        "notices.toml",
        "[low_balance]\nsubject = \"a\"\nbody = \"b\"\n",
        None,
    )
    .unwrap_err();
    assert_eq!(errors.len(), Template::ALL.len() - 1);
    assert!(errors.iter().all(|error| error.problem == "missing"));
    let errors = parse_texts("notices.toml", "[low_balance\n", None).unwrap_err();
    assert_eq!(errors[0].field, "line 1");
}

#[test]
fn a_catalog_folders_notices_file_is_its_texts_not_a_product() {
    let dns = include_str!("../../../../catalog/dns.toml");
    let files = [
        ("mine/dns.toml".to_string(), dns.to_string()),
        (
            "mine/notices.toml".to_string(),
            "[low_balance]\nsubject = \"Low\"\nbody = \"{available_credit} left.\"\n".to_string(),
        ),
    ];
    let catalog = crate::catalog::parse_files(&files).unwrap();
    assert_eq!(catalog.products.len(), 1);
    let values = [("available_credit", "1.00 USD"), ("threshold", "5.00 USD")];
    assert_eq!(
        catalog.notices.notice(Template::LowBalance, &values).body,
        "1.00 USD left."
    );
    // Without one, the built-in texts.
    let catalog = crate::catalog::parse_files(&files[..1]).unwrap();
    assert_eq!(catalog.notices, NoticeTexts::builtin());
    assert_eq!(
        crate::catalog::default_catalog().notices,
        NoticeTexts::builtin()
    );
}
