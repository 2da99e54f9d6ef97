//! Bad input gets a 400 (or 404) whose message names the problem; never a silently different
//! answer.
use super::{refused, seed};
use crate::helpers::spawn_app;

#[test]
fn unsupported_or_malformed_queries_are_400_with_the_reason() {
    let app = spawn_app();
    seed(&app);
    let cases: [(&str, &str); 16] = [
        ("/api/v2/Packages()?$filter=length(Id) gt 3", "The $filter function 'length' is not supported."),
        ("/api/v2/Packages()?$filter=Dependencies eq 'x'", "Filtering on 'Dependencies' is not supported."),
        ("/api/v2/Packages()?$filter=Bogus eq 'x'", "The property 'Bogus' in $filter does not exist on V2FeedPackage."),
        (
            "/api/v2/Packages()?$filter=Published gt datetime'2020-01-01T00:00:00'",
            "The $filter literal type 'datetime' (at position 13) is not supported.",
        ),
        (
            "/api/v2/Packages()?$filter=Id eq 'abc",
            "The $filter expression is not valid: the string starting at position 6 is not closed.",
        ),
        (
            "/api/v2/Packages()?$filter=(IsLatestVersion",
            "The $filter expression is not valid: expected ')' at the end.",
        ),
        (
            "/api/v2/Packages()?$filter=Id gt 'a'",
            "The operator 'gt' is not supported for text in $filter; use eq or ne.",
        ),
        ("/api/v2/Packages()?$orderby=Dependencies", "Ordering by 'Dependencies' is not supported."),
        (
            "/api/v2/Packages()?$orderby=Id sideways",
            "The $orderby item 'Id sideways' is not valid: use a property name, optionally followed by asc or desc.",
        ),
        ("/api/v2/Packages()?$expand=Owners", "The query option '$expand' is not supported."),
        (
            "/api/v2/Packages()?$format=json",
            "The query option '$format=json' is not supported: this feed answers in Atom XML only.",
        ),
        ("/api/v2/Packages()?$top=ten", "The query option '$top' must be a non-negative integer, not 'ten'."),
        ("/api/v2/Packages()?$select=Id,Nope", "The property 'Nope' in $select does not exist on V2FeedPackage."),
        (
            "/api/v2/Search()?searchTerm='x'&includePrerelease=yes",
            "The 'includePrerelease' parameter must be true or false, not 'yes'.",
        ),
        (
            "/api/v2/Search()?searchTerm='unclosed",
            "The value 'unclosed is not a valid OData string: quote it as 'text', doubling any quote inside.",
        ),
        (
            "/api/v2/Packages()?semVerLevel=two",
            "The 'semVerLevel' parameter must be a version such as 2.0.0, not 'two'.",
        ),
    ];
    for (path, message) in cases {
        assert_eq!(refused(&app, path), (400, message.to_owned()), "{path}");
    }
}

#[test]
fn malformed_keys_are_400_and_unknown_resources_404() {
    let app = spawn_app();
    let key_message =
        |segment: &str| format!("The key in '{segment}' is not valid: use Packages(Id='id',Version='version').");
    for segment in ["Packages(Id=Acme.Core,Version=1.0.0)", "Packages(Id='Acme.Core')", "Packages('Acme.Core','1.0.0')"]
    {
        assert_eq!(refused(&app, &format!("/api/v2/{segment}")), (400, key_message(segment)), "{segment}");
    }
    assert_eq!(refused(&app, "/api/v2/Nothing()"), (404, "The v2 feed has no resource 'Nothing()'.".to_owned()));
    assert_eq!(
        refused(&app, "/api/v2/Packages()/Nothing"),
        (404, "The v2 feed has no resource 'Packages()/Nothing'.".to_owned())
    );
    assert_eq!(
        refused(&app, "/api/v2/Packages(Id='A',Version='1.0')/Description"),
        (400, "Reading the property 'Description' of an entry is not supported.".to_owned())
    );
    assert_eq!(
        refused(&app, "/api/v2/Packages(Id='A',Version='1.0')?$top=1"),
        (400, "A single entry takes no $filter, $orderby, $skip or $top.".to_owned())
    );
    assert_eq!(
        refused(&app, "/api/v2/Search('x')"),
        (
            400,
            "'Search('x')' is not valid: the function takes its parameters in the query string, as in Search()?…"
                .to_owned()
        )
    );
}
