//! Injectable faults: named, realistic implementer mistakes the reference server can
//! make on purpose, so the suite can prove it catches them (SUITE-KILLS).
//!
//! To add a fault, append ONE line to the `faults!` table at the bottom of this file:
//! `Variant = "kebab-name", ["RULE-ID", ...], "one-line description";`
//! and make the server consult `state.faults.contains(Fault::Variant)` where the
//! mistake happens.

use std::fmt;

macro_rules! faults {
    ($( $(#[$meta:meta])* $variant:ident = $name:literal, [$($rule:literal),* $(,)?], $desc:literal; )*) => {
        /// One injectable fault.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $( $(#[$meta])* #[doc = $desc] $variant, )*
        }

        impl Fault {
            /// Every fault, in catalogue order.
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )* ];

            /// The fault's kebab-case name (`--fault NAME`).
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )* }
            }

            /// The SPEC.md rule IDs this fault breaks.
            pub fn rules(self) -> &'static [&'static str] {
                match self { $( Fault::$variant => &[$($rule),*], )* }
            }

            /// One line saying what the server does wrong.
            pub fn description(self) -> &'static str {
                match self { $( Fault::$variant => $desc, )* }
            }
        }
    };
}

impl Fault {
    /// Looks a fault up by its kebab-case name.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    fn bit(self) -> u128 {
        let index = Fault::ALL.iter().position(|f| *f == self).unwrap_or(0);
        1u128 << (index % 128)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--fault` name that names no fault; its message lists the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {name:?} (known: {known})", known = Fault::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownFault {
    /// The name as given.
    pub name: String,
}

/// A set of faults with cheap membership checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultSet(u128);

impl FaultSet {
    /// No fault: the correct reference server.
    pub const fn none() -> FaultSet {
        FaultSet(0)
    }

    /// Whether `fault` is injected.
    pub fn contains(&self, fault: Fault) -> bool {
        self.0 & fault.bit() != 0
    }

    /// Adds a fault.
    pub fn insert(&mut self, fault: Fault) {
        self.0 |= fault.bit();
    }

    /// Whether no fault is injected.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The injected faults, in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        Fault::ALL.iter().copied().filter(|f| self.contains(*f))
    }

    /// Parses fault names; the error names the first unknown one.
    pub fn from_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<FaultSet, UnknownFault> {
        let mut set = FaultSet::none();
        for name in names {
            set.insert(Fault::from_name(name).ok_or_else(|| UnknownFault {
                name: name.to_string(),
            })?);
        }
        Ok(set)
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> FaultSet {
        let mut set = FaultSet::none();
        for f in iter {
            set.insert(f);
        }
        set
    }
}

faults! {
    NoOdataVersion = "no-odata-version", ["GEN-ODATA-VERSION"], "Responses omit the OData-Version header.";
    NoRequestId = "no-request-id", ["GEN-REQUEST-ID"], "Responses carry no request-id and do not echo client-request-id.";
    MissingWwwAuthenticate = "missing-www-authenticate", ["AUTH-REQUIRED"], "A 401 answer has no WWW-Authenticate header.";
    UnknownToken403 = "unknown-token-403", ["AUTH-REQUIRED"], "A well-formed but unknown bearer token gets 403 instead of 401.";
    OtherUserReadable = "other-user-readable", ["AUTH-ISOLATION"], "A contact id of another user's mailbox can be read with GET.";
    KeyFormRejected = "key-form-rejected", ["GEN-KEY-FORMS"], "The `contacts('{id}')` key form answers 404.";
    TrailingSlash404 = "trailing-slash-404", ["GEN-TRAILING-SLASH"], "A trailing slash on a path answers 404.";
    QueryOptionCaseSensitive = "query-option-case-sensitive", ["GEN-CASE-QUERY"], "Query option names other than all-lowercase are rejected as unknown.";
    MalformedJson500 = "malformed-json-500", ["GEN-NO-5XX", "CT-TYPES"], "A body that is not valid JSON answers 500 instead of 400.";
    BodyLimitOffByOne = "body-limit-off-by-one", ["GEN-BODY-LIMIT"], "A body of exactly 4,194,304 bytes is refused with 413.";
    ContentTypeIgnored = "content-type-ignored", ["GEN-CONTENT-TYPE"], "POST and PATCH accept bodies without a JSON Content-Type.";
    EtagUnquoted = "etag-unquoted", ["Q-ANNOTATIONS"], "`@odata.etag` is written `W/ck` without the quotes.";
    ChangekeyNotBumpedOnPatch = "changekey-not-bumped-on-patch", ["CT-VERSION"], "A PATCH that changes values keeps the old ChangeKey.";
    PatchReplacesEntity = "patch-replaces-entity", ["CT-UPDATE"], "A PATCH clears every writable property it does not mention.";
    NullIgnoredOnPatch = "null-ignored-on-patch", ["CT-UPDATE"], "`null` on a string property in a PATCH is ignored instead of clearing it.";
    DisplaynameTwoSpaces = "displayname-two-spaces", ["CT-DISPLAYNAME"], "The computed DisplayName joins GivenName and Surname with two spaces.";
    DisplaynameRecomputedOnPatch = "displayname-recomputed-on-patch", ["CT-DISPLAYNAME"], "A PATCH of GivenName or Surname recomputes DisplayName.";
    BirthdayKeepsOffset = "birthday-keeps-offset", ["CT-BIRTHDAY"], "Birthday is stored as sent, keeping a non-UTC offset.";
    DeleteReturns200 = "delete-returns-200", ["CT-DELETE"], "DELETE of a contact answers 200 with a body instead of 204.";
    IfMatchIgnored = "if-match-ignored", ["CT-CONFLICT"], "A stale If-Match on PATCH and DELETE is ignored.";
    IfMatchStrongOnly = "if-match-strong-only", ["CT-CONFLICT"], "If-Match matches only the exact `W/\"ck\"` form, not `\"ck\"`.";
    ChangekeyBodyIgnored = "changekey-body-ignored", ["CT-CONFLICT-BODY"], "A stale ChangeKey in a PATCH body is ignored.";
    ReadonlyIgnored = "readonly-ignored", ["CT-READONLY"], "Read-only properties in a body are silently ignored instead of 400.";
    UnknownPropertyIgnored = "unknown-property-ignored", ["CT-UNKNOWN-PROPERTY"], "Unknown properties in a body are silently ignored instead of 400.";
    PartialWriteOnError = "partial-write-on-error", ["CT-ATOMIC"], "A create rejected by a flag rule still stores the contact.";
    UnsetCollectionsNull = "unset-collections-null", ["CT-GET"], "Unset collection properties come back as null instead of [].";
    FolderWriteAllowed = "folder-write-allowed", ["CF-NO-WRITE"], "PATCH and DELETE on a folder answer 200/204 without effect instead of 405.";
    WrongWellKnownName = "wrong-well-known-name", ["CF-WELLKNOWN"], "The default folder's WellKnownName is `Contacts` instead of `contacts`.";
    PhotoNoChangekeyBump = "photo-no-changekey-bump", ["PH-VERSION"], "Setting a photo keeps the contact's ChangeKey.";
    PhotoSwappedDimensions = "photo-swapped-dimensions", ["PH-META"], "Photo metadata swaps Width and Height.";
    PhotoTypeFromHeader = "photo-type-from-header", ["PH-SNIFF"], "The photo keeps the declared Content-Type instead of the sniffed one.";
    PhotoDeleteAllowed = "photo-delete-allowed", ["PH-METHODS"], "DELETE on photo/$value answers 204 instead of 405.";
    // Paging and sync faults (collections engineer).
    NextlinkRepeatsLastWithOrderby = "nextlink-repeats-last-with-orderby", ["Q-NEXTLINK"], "With $orderby, each next page starts again with the last entity of the previous page.";
    NextlinkOnFullLastPage = "nextlink-on-full-last-page", ["Q-NEXTLINK"], "A full last page still carries a next link, which leads to an empty page.";
    NextlinkPlusUnescaped = "nextlink-plus-unescaped", ["Q-NEXTLINK"], "Next links encode query values naively: spaces as `+` and a literal `+` left as is, so it comes back as a space.";
    OffsetSkiptoken = "offset-skiptoken", ["Q-NEXTLINK-LIVE", "SY-COMPLETE-LIVE"], "Skip tokens hold an offset, not a keyset position: creates and deletes during a walk make it skip or repeat entities.";
    MaxpagesizeIgnoredOnNextlink = "maxpagesize-ignored-on-nextlink", ["Q-MAXPAGESIZE-LINK"], "Next links forget the odata.maxpagesize page size: later pages hold up to 10.";
    TopAboveMaxRejected = "top-above-max-rejected", ["Q-TOP-BOUNDS"], "A $top above the maximum page size is rejected with 400 instead of lowered.";
    CountIgnoresFilter = "count-ignores-filter", ["Q-COUNT"], "The /$count segment counts every entity, ignoring $filter.";
    CountAnnotationPageSize = "count-annotation-page-size", ["Q-UNKNOWN-OPTION"], "@odata.count is the number of entities on the page, not of all that match.";
    ContactsListAllFolders = "contacts-list-all-folders", ["CT-LIST-DEFAULT"], "GET me/contacts lists the contacts of every folder, not only the default one.";
    DefaultPageSize20 = "default-page-size-20", ["Q-PAGE-DEFAULT"], "Without $top or odata.maxpagesize a page holds up to 20 entities.";
    SkipIgnored = "skip-ignored", ["Q-SKIP"], "$skip is accepted but ignored.";
    PreferenceAppliedFirstSyncPageOnly = "preference-applied-first-sync-page-only", ["SY-PREFER"], "Only the first response of a sync round lists odata.track-changes in Preference-Applied.";
    SyncFirstNextlink = "sync-first-nextlink", ["SY-FIRST"], "The first sync response carries a next link instead of a delta link when more contacts remain.";
    SyncDropsLastWhenPageMultiple = "sync-drops-last-when-page-multiple", ["SY-COMPLETE"], "When a folder's contacts fill the last sync page exactly, its last contact is left out.";
    SelectLostAfterFirstSyncPage = "select-lost-after-first-sync-page", ["SY-SELECT"], "Sync tokens do not carry $select: pages after the first return every property.";
    TokenNotBoundToFolder = "token-not-bound-to-folder", ["SY-TOKEN-BAD"], "A sync token of one folder is accepted on another folder.";
    SkipAndDeltaAccepted = "skip-and-delta-accepted", ["SY-TOKEN-PATH"], "A request with both $skiptoken and $deltatoken is answered (the skip token wins) instead of 400.";
    FirstDeltaRestartsRound = "first-delta-restarts-round", ["SY-ROUND", "SY-COMPLETE"], "The delta link of a round's first response starts the round again, so the first page comes twice.";
    SyncFilterAccepted = "sync-filter-accepted", ["SY-FORBIDDEN"], "$filter on a contact sync request is applied instead of rejected with 400.";
    // Added by the selftest engineer (issue #5 list; flags, integrity and errors sections).
    FilterStringsCaseSensitive = "filter-strings-case-sensitive", ["Q-FILTER"], "$filter compares strings case-sensitively on collection lists.";
    WindowsZoneRejected = "windows-zone-rejected", ["FL-ZONES"], "Flag dates with a Windows time zone name (`Pacific Standard Time`) are rejected; only UTC and IANA names work.";
    CompletedNotCutToMidnight = "completed-not-cut-to-midnight", ["FL-COMPLETE"], "CompletedDateTime is converted to UTC but keeps its time of day.";
    CompletedCutBeforeUtc = "completed-cut-before-utc", ["FL-COMPLETE"], "CompletedDateTime is cut to midnight in its own zone and then labelled UTC, so the date can be a day early.";
    ArraysMergedOnPatch = "arrays-merged-on-patch", ["CT-UPDATE"], "A PATCH appends array values to the stored array instead of replacing it.";
    RejectedPatchHalfApplied = "rejected-patch-half-applied", ["CT-ATOMIC"], "A PATCH rejected for one bad member still applies the members that were valid.";
    ErrorBodyTextPlain = "error-body-text-plain", ["ERR-SHAPE"], "Error bodies are sent with Content-Type text/plain.";
    NotFoundMalformedCode = "not-found-malformed-code", ["ERR-CODE"], "GET of a contact id that does not exist answers 404 with code ErrorInvalidIdMalformed.";
    ConditionalPatchNotSaved = "conditional-patch-not-saved", ["IN-DURABLE"], "A PATCH with a matching If-Match answers 200 with the new values but does not save them.";
    TamperedToken500 = "tampered-token-500", ["SY-TOKEN-BAD", "GEN-NO-5XX"], "A token that fails verification answers 500 instead of 400.";
    // Faults only generated inputs reach (properties engineer): see docs/properties.md.
    LongComplexMemberTruncated = "long-complex-member-truncated", ["CT-ECHO"], "A string over 1,000 characters inside a complex value (an address, phone, email or website member) is stored cut to its first 1,000 characters.";
    PagingDropsLastPageWhenMultiple = "paging-drops-last-page-when-multiple", ["Q-NEXTLINK"], "When a collection fills three or more pages of size 2 or more exactly, the page before the last carries no next link, so the last page is never reached.";
    PatchLostWhenPhotoSet = "patch-lost-when-photo-set", ["CT-UPDATE", "IN-DURABLE"], "A PATCH of a contact that has a photo answers 200 with the change but stores nothing.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_name_real_rules() {
        let mut seen = std::collections::HashSet::new();
        for f in Fault::ALL {
            assert!(seen.insert(f.name()), "duplicate {}", f.name());
            assert!(
                f.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
            assert!(!f.rules().is_empty());
            for r in f.rules() {
                assert!(contactspec_model::rule(r).is_some(), "{}: {r}", f.name());
            }
            assert_eq!(Fault::from_name(f.name()), Some(*f));
        }
        assert!(Fault::ALL.len() <= 128);
    }

    #[test]
    fn set_membership() {
        let set = FaultSet::from_names(["etag-unquoted", "no-odata-version"]).unwrap();
        assert!(set.contains(Fault::EtagUnquoted));
        assert!(set.contains(Fault::NoOdataVersion));
        assert!(!set.contains(Fault::DeleteReturns200));
        assert_eq!(set.iter().count(), 2);
        let err = FaultSet::from_names(["nope"]).unwrap_err();
        assert_eq!(err.name, "nope");
        assert!(err.to_string().contains("etag-unquoted"), "{err}");
    }
}
