//! Property tables of Contact and ContactFolder (SPEC.md §2, §3) and enum values.

/// The JSON shape of a property's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropKind {
    /// Opaque server-set string (`Id`, `ChangeKey`, `ParentFolderId`).
    ServerString,
    /// DateTimeOffset in UTC, server-set.
    ServerDateTime,
    /// String or null.
    String,
    /// Array of strings (`Categories`, `Children`, `ImAddresses`).
    StringArray,
    /// DateTimeOffset or null (`Birthday`).
    DateTimeOffset,
    /// Date `YYYY-MM-DD` or null (`WeddingAnniversary`).
    Date,
    /// Array of `{Name, Address}`.
    EmailAddresses,
    /// Array of `{Number, Type}`.
    Phones,
    /// Array of `{Type, Street, City, State, CountryOrRegion, PostalCode}`.
    PostalAddresses,
    /// Array of `{Type, Address, DisplayName}`.
    Websites,
    /// FollowupFlag (§7).
    Flag,
    /// Boolean or null, read-only (`IsFavorite`).
    Boolean,
}

/// One property of an entity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property {
    /// The PascalCase name, exactly as it appears in bodies.
    pub name: &'static str,
    /// Its value shape.
    pub kind: PropKind,
    /// Whether a client may send it on create or update.
    pub writable: bool,
    /// Whether `$filter` and `$orderby` accept it directly (without `any`).
    pub filterable: bool,
}

const fn p(name: &'static str, kind: PropKind, writable: bool, filterable: bool) -> Property {
    Property {
        name,
        kind,
        writable,
        filterable,
    }
}

use PropKind::*;

/// Every property of Contact, in the order the reference server writes them.
pub static CONTACT_PROPERTIES: &[Property] = &[
    p("Id", ServerString, false, false),
    p("ChangeKey", ServerString, false, false),
    p("CreatedDateTime", ServerDateTime, false, true),
    p("LastModifiedDateTime", ServerDateTime, false, true),
    p("ParentFolderId", ServerString, false, false),
    p("Categories", StringArray, true, false),
    p("Birthday", DateTimeOffset, true, true),
    p("FileAs", String, true, true),
    p("DisplayName", String, true, true),
    p("GivenName", String, true, true),
    p("Initials", String, true, true),
    p("MiddleName", String, true, true),
    p("NickName", String, true, true),
    p("Surname", String, true, true),
    p("Title", String, true, false),
    p("YomiGivenName", String, true, false),
    p("YomiSurname", String, true, false),
    p("YomiCompanyName", String, true, false),
    p("Generation", String, true, true),
    p("EmailAddresses", EmailAddresses, true, false),
    p("Websites", Websites, true, false),
    p("ImAddresses", StringArray, true, false),
    p("JobTitle", String, true, true),
    p("CompanyName", String, true, true),
    p("Department", String, true, true),
    p("OfficeLocation", String, true, true),
    p("Profession", String, true, true),
    p("AssistantName", String, true, true),
    p("Manager", String, true, true),
    p("Phones", Phones, true, false),
    p("PostalAddresses", PostalAddresses, true, false),
    p("SpouseName", String, true, true),
    p("PersonalNotes", String, true, true),
    p("Children", StringArray, true, false),
    p("WeddingAnniversary", Date, true, true),
    p("Gender", String, true, true),
    p("IsFavorite", Boolean, false, false),
    p("Flag", Flag, true, true),
];

/// Every property of ContactFolder (SPEC.md §3). Only `DisplayName` is filterable.
pub static FOLDER_PROPERTIES: &[Property] = &[
    p("Id", ServerString, false, false),
    p("ParentFolderId", ServerString, false, false),
    p("DisplayName", String, false, true),
    p("WellKnownName", String, false, false),
];

/// Looks a contact property up by exact name.
pub fn contact_property(name: &str) -> Option<&'static Property> {
    CONTACT_PROPERTIES.iter().find(|p| p.name == name)
}

/// Looks a contact property up ignoring ASCII case (query options, Q-PROPERTY-CASE).
pub fn contact_property_ci(name: &str) -> Option<&'static Property> {
    CONTACT_PROPERTIES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Looks a folder property up ignoring ASCII case.
pub fn folder_property_ci(name: &str) -> Option<&'static Property> {
    FOLDER_PROPERTIES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// `PhoneType` values.
pub const PHONE_TYPES: &[&str] = &[
    "Home",
    "Business",
    "Mobile",
    "Other",
    "Assistant",
    "HomeFax",
    "BusinessFax",
    "OtherFax",
    "Pager",
    "Radio",
];
/// `PhysicalAddress.Type` values.
pub const ADDRESS_TYPES: &[&str] = &["Home", "Business", "Other"];
/// `WebsiteType` values.
pub const WEBSITE_TYPES: &[&str] = &["Blog", "Home", "Other", "Profile", "Work"];
/// `FlagStatus` values.
pub const FLAG_STATUSES: &[&str] = &["NotFlagged", "Flagged", "Complete"];

/// Members of `EmailAddress`.
pub const EMAIL_MEMBERS: &[&str] = &["Name", "Address"];
/// Members of `Phone`.
pub const PHONE_MEMBERS: &[&str] = &["Number", "Type"];
/// Members of `PhysicalAddress`.
pub const ADDRESS_MEMBERS: &[&str] = &[
    "Type",
    "Street",
    "City",
    "State",
    "CountryOrRegion",
    "PostalCode",
];
/// Members of `Website`.
pub const WEBSITE_MEMBERS: &[&str] = &["Type", "Address", "DisplayName"];
/// Members of `FollowupFlag`.
pub const FLAG_MEMBERS: &[&str] = &[
    "FlagStatus",
    "StartDateTime",
    "DueDateTime",
    "CompletedDateTime",
];
/// Members of `DateTimeTimeZone`.
pub const DTTZ_MEMBERS: &[&str] = &["DateTime", "TimeZone"];

/// The largest request body any server must accept (GEN-BODY-LIMIT).
pub const BODY_LIMIT: usize = 4_194_304;
/// The default page size ceiling (Q-PAGE-DEFAULT).
pub const DEFAULT_PAGE_SIZE: usize = 10;
/// At most this many `EmailAddresses` and `ImAddresses` (CT-LIMITS).
pub const MAX_ADDRESSES: usize = 3;
/// Strings of at most this many UTF-16 code units are accepted (CT-LIMITS).
pub const MAX_STRING_UTF16: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(CONTACT_PROPERTIES.len(), 38);
        assert!(contact_property("givenName").is_none());
        assert_eq!(contact_property_ci("givenname").unwrap().name, "GivenName");
        assert!(!contact_property("Title").unwrap().filterable);
        assert!(folder_property_ci("displayname").unwrap().filterable);
    }
}
