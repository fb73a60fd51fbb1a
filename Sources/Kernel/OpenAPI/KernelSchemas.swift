import OpenAPIKit

/// The component schemas of the kernel's routes (auth, organizations, members, API keys,
/// plugins, tags, search, record history, problems) and the descriptions of the kernel's tags.
/// Each response schema follows the Swift value or SQL that produces the JSON: `JSONResponse`
/// omits nil optionals (so those properties are not `required`) and writes dates as RFC 3339
/// UTC. Request bodies read with `JSONBody.decode` refuse unknown members (422), so their
/// schemas close `additionalProperties`; response schemas leave it open.
enum KernelSchemas {
    static func register(into documentation: APIDocumentation) {
        for (name, description) in tags {
            documentation.tag(name, description)
        }
        for (name, schema) in responseSchemas + requestSchemas {
            documentation.schema(name, schema)
        }
    }

    static var tags: [(String, String)] {
        [
            ("auth", "Accounts and tokens: register, log in, refresh, log out, switch organization, OAuth sign-in."),
            ("organizations", "The caller's organizations: list, create, rename or delete the current one."),
            ("members", "Who belongs to the organization, with which role (`owner` > `admin` > `member` > `viewer`)."),
            ("api-keys", "Machine credentials of the organization, sent as `Authorization: Bearer crm_…`."),
            ("plugins", "The native and bundled Lua plugins, enabled and configured per organization."),
            ("search", "One ranked text search across the organization's records."),
            ("tags", "The organization's tag names; records take tags by name on write."),
            ("service", "Health, readiness, metrics and this document."),
        ]
    }

    // MARK: - Shared pieces

    /// A timestamp as the server writes it (`2026-11-24T19:08:42Z`).
    static func timestamp(_ description: String) -> JSONSchema {
        .string(format: .dateTime, description: description, examples: ["2026-11-24T19:08:42Z"])
    }

    static func identifier(_ description: String) -> JSONSchema {
        .string(format: .uuid, description: description)
    }

    /// Every `code` of `ErrorCode` (API.md, Errors).
    static var errorCodes: [AnyCodable] {
        ErrorCode.allCases.map { AnyCodable($0.rawValue) }
    }

    // MARK: - Responses

    static var responseSchemas: [(String, JSONSchema)] {
        [
            ("FieldError", fieldError),
            ("Problem", problem),
            ("HistoryActor", historyActor),
            ("HistoryEntry", historyEntry),
            ("User", user),
            ("Organization", organization),
            ("Membership", membership),
            ("TokenPair", tokenPair),
            ("Me", me),
            ("Member", member),
            ("ApiKey", apiKey),
            ("NewApiKey", newApiKey),
            ("Invitation", invitation),
            ("NewInvitation", newInvitation),
            ("AcceptedInvitation", acceptedInvitation),
            ("PluginField", pluginField),
            ("PluginSetting", pluginSetting),
            ("Plugin", plugin),
            ("Tag", tag),
            ("SearchResult", searchResult),
            ("Import", importSchema),
        ]
    }

    /// `FieldError`: one entry of a problem's `errors`.
    static var fieldError: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "field": .string(
                description: "Dotted path of the field (`email`, `custom.tier`, `config.delayDays`).", examples: ["email"]),
            "code": .string(
                description: "Stable code: `required`, `invalid_type`, `invalid`, `too_short`, `too_long`, `unknown_field`, `read_only`, `taken`, …",
                examples: ["required"]),
            "message": .string(description: "What is wrong, for people.", examples: ["is required"]),
        ]
        return .object(title: "FieldError", description: "One problem with one field of the request.", properties: properties)
    }

    /// `APIError.body()`: `type`, `title`, `status`, `detail` and `code` always; `errors` when
    /// there are field errors; extension members for some problems.
    static var problem: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "type": .string(description: "Always `about:blank`: `code` tells problems apart.", examples: ["about:blank"]),
            "title": .string(description: "A short summary of the `code`.", examples: ["Validation failed"]),
            "status": .integer(
                description: "The HTTP status of the response.", maximum: (599, exclusive: false), minimum: (400, exclusive: false),
                examples: [422]),
            "detail": .string(
                description: "What went wrong in this occurrence, for people.", examples: ["email: must be a valid email address"]),
            "code": .string(
                description: "Stable and machine-readable: switch on this, not on `title` or `detail`.", allowedValues: errorCodes),
            "errors": .array(
                required: false, description: "One entry per invalid field (present only when there are some).", minItems: 1,
                items: APISchema.ref("FieldError")),
            "script": .string(required: false, description: "`script_error`: the script's name."),
            "event": .string(
                required: false, nullable: true,
                description: "`script_error`: the event being handled; null when the script does not compile."),
            "line": .integer(
                required: false, nullable: true, description: "`script_error`: the line of the error, when known."),
            "count": .integer(
                required: false, description: "On some conflicts: how many stored values stand in the way."),
        ]
        return .object(
            title: "Problem",
            description: "An error as RFC 9457 problem details (`application/problem+json`), with a stable `code`.",
            properties: properties)
    }

    /// `RecordStore.actorJSON`.
    static var historyActor: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "type": .string(
                description: "Who wrote: a user, an API key, a script, or the server itself (`system`: a record changed because something else did — a stage's kind, a deleted tag, a custom field's new type).",
                allowedValues: ["user", "apiKey", "script", "system"]),
            "id": .string(description: "The user's or API key's id, the script's name, or the system change's cause (`stage.kindChanged`, `tag.deleted`, `customField.converted`)."),
            "role": APISchema.role,
        ]
        return .object(title: "HistoryActor", description: "Who made a change, with the role they acted with.", properties: properties)
    }

    /// `RecordStore.history`: `json_build_object('at', …, 'actor', …, 'action', …, 'changes', …)`.
    static var historyEntry: JSONSchema {
        let change: OrderedDictionary<String, JSONSchema> = [
            "from": .fragment(description: "The value before the write (any JSON value; null when it was unset)."),
            "to": .fragment(description: "The value after the write (any JSON value; null when it was cleared)."),
        ]
        let properties: OrderedDictionary<String, JSONSchema> = [
            "at": timestamp("When the write happened."),
            "actor": APISchema.ref("HistoryActor"),
            "action": .string(allowedValues: ["create", "update", "delete", "restore"]),
            "changes": .object(
                description: "The changed fields by name (`custom.<key>` for custom fields); empty for delete and restore.",
                additionalProperties: .b(.object(properties: change))),
        ]
        return .object(title: "HistoryEntry", description: "One write of a record, newest first.", properties: properties)
    }

    /// `UserView`.
    static var user: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "id": identifier("The user's id."),
            "email": .string(format: .email, description: "Lower-case.", examples: ["ada@example.com"]),
            "name": .string(examples: ["Ada Lovelace"]),
            "createdAt": timestamp("When the account was created."),
        ]
        return .object(title: "User", properties: properties)
    }

    /// `OrganizationView`: `role` is present where the caller's membership is known (token
    /// pairs, `memberships`, the organization list of a user, a new organization).
    static var organization: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "id": identifier("The organization's id."),
            "name": .string(examples: ["Analytical Engines Ltd"]),
            "currency": APISchema.currencyCode.with(description: "The default currency of new deals (ISO 4217)."),
            "createdAt": timestamp("When the organization was created."),
            "role": APISchema.role.with(description: "The caller's role in it, where known.").required(false),
        ]
        return .object(title: "Organization", properties: properties)
    }

    /// `MembershipView`.
    static var membership: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "organization": APISchema.ref("Organization"),
            "role": APISchema.role,
        ]
        return .object(title: "Membership", description: "An organization the user belongs to, with their role.", properties: properties)
    }

    /// `TokenPairView`.
    static var tokenPair: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "user": APISchema.ref("User"),
            "organization": APISchema.ref("Organization"),
            "accessToken": .string(description: "A JWT for `Authorization: Bearer …`, valid for `expiresIn` seconds."),
            "refreshToken": .string(
                description: "An opaque token for `POST /auth/refresh` (7 days, single use: each refresh rotates it)."),
            "tokenType": .string(allowedValues: ["Bearer"]),
            "expiresIn": .integer(description: "Seconds until the access token expires.", examples: [900]),
        ]
        return .object(
            title: "TokenPair", description: "An access token and a refresh token for one user in one organization.",
            properties: properties)
    }

    /// `AuthRoutes.MeView`: `user` is absent for an API key.
    static var me: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "user": APISchema.ref("User").required(false),
            "organization": APISchema.ref("Organization"),
            "role": APISchema.role,
            "memberships": .array(
                description: "Every organization of the user, oldest membership first (empty for an API key).",
                items: APISchema.ref("Membership")),
        ]
        return .object(
            title: "Me", description: "The caller: the user (absent for an API key), the current organization and role.",
            properties: properties)
    }

    /// `MemberView`.
    static var member: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "userId": identifier("The member's user id."),
            "email": .string(format: .email),
            "name": .string,
            "role": APISchema.role,
            "createdAt": timestamp("When they joined the organization."),
        ]
        return .object(title: "Member", properties: properties)
    }

    static func invitationProperties(withToken: Bool) -> OrderedDictionary<String, JSONSchema> {
        var properties: OrderedDictionary<String, JSONSchema> = [
            "id": identifier("The invitation's id."),
            "email": .string(format: .email, description: "The invited email, lower-case."),
            "role": APISchema.role,
            "status": .string(
                description: "`invited` (pending), `accepted`, `revoked` or `expired`.",
                allowedValues: ["invited", "accepted", "revoked", "expired"]),
            "expiresAt": timestamp("When the token stops working (7 days after the invitation)."),
        ]
        if !withToken { properties["createdAt"] = timestamp("When the invitation was made.") }
        if withToken {
            properties["token"] = .string(
                description: "The single-use secret, shown this once: the invitee sends it to `POST /invitations/accept` or `POST /auth/register`.",
                pattern: "^inv_")
        }
        return properties
    }

    static var invitation: JSONSchema {
        .object(title: "Invitation", description: "An invitation to join the organization.", properties: invitationProperties(withToken: false))
    }

    static var newInvitation: JSONSchema {
        .object(title: "NewInvitation", description: "A new invitation with its `token`.", properties: invitationProperties(withToken: true))
    }

    static var acceptedInvitation: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "organization": APISchema.ref("Organization"),
            "role": APISchema.role,
        ]
        return .object(title: "AcceptedInvitation", description: "The organization joined and the role in it.", properties: properties)
    }

    static func apiKeyProperties(withKey: Bool) -> OrderedDictionary<String, JSONSchema> {
        var properties: OrderedDictionary<String, JSONSchema> = [
            "id": identifier("The key's id."),
            "name": .string(examples: ["Zapier"]),
            "role": APISchema.role,
            "prefix": .string(description: "The key's first 12 characters, to tell keys apart.", examples: ["crm_3fa85f64"]),
            "createdAt": timestamp("When the key was created."),
        ]
        if withKey {
            properties["key"] = .string(
                description: "The secret, shown this once: send it as `Authorization: Bearer <key>`.", pattern: "^crm_")
        }
        return properties
    }

    /// `APIKeyView` without its secret (`GET /api-keys`).
    static var apiKey: JSONSchema {
        .object(title: "ApiKey", description: "An API key; the secret is never shown again.", properties: apiKeyProperties(withKey: false))
    }

    /// `APIKeyView` with its secret (`POST /api-keys`).
    static var newApiKey: JSONSchema {
        .object(title: "NewApiKey", description: "A new API key with its secret `key`.", properties: apiKeyProperties(withKey: true))
    }

    /// An item of a Lua plugin's `fields` (as its `plugin.lua` declares it).
    static var pluginField: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "key": .string(examples: ["wonReason"]),
            "label": .string(examples: ["Why we won"]),
            "type": .string(description: "A custom field type (`text`, `number`, `select`, …).", examples: ["text"]),
        ]
        return .object(title: "PluginField", description: "A custom field the plugin adds when enabled.", properties: properties)
    }

    /// A setting of a Lua plugin's `config` table, as its `plugin.lua` declares it.
    static var pluginSetting: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "type": .string(
                required: false, description: "`string` when absent.", examples: ["integer"]),
            "default": .fragment(required: false, description: "The value when the configuration leaves it out."),
            "min": .number(required: false),
            "max": .number(required: false),
            "options": .array(required: false, description: "The allowed values.", items: .fragment),
        ]
        return .object(title: "PluginSetting", description: "One setting of a plugin's configuration.", properties: properties)
    }

    /// `PluginRoutes.PluginView`.
    static var plugin: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "id": .string(examples: ["deals"]),
            "name": .string,
            "version": .string(examples: ["1.0.0"]),
            "description": .string,
            "kind": .string(allowedValues: ["native", "lua"]),
            "enabled": .boolean(description: "Whether it is on for the caller's organization."),
            "dependsOn": .array(description: "Plugins that must be enabled first.", items: .string),
            "entities": .array(description: "The record types it serves (`contacts`, …).", items: .string),
            "fields": .object(
                description: "Custom fields it adds when enabled, by entity (`{}` for native plugins).",
                additionalProperties: .b(.array(items: APISchema.ref("PluginField")))),
            "configSchema": .object(
                description: "Its settings by key (`{}` when it has none).",
                additionalProperties: .b(APISchema.ref("PluginSetting"))),
            "config": .object(
                description: "The organization's effective configuration, defaults applied.", additionalProperties: .a(true)),
        ]
        return .object(title: "Plugin", description: "A plugin as the caller's organization has it.", properties: properties)
    }

    /// `TagRoutes.TagView`.
    static var tag: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "id": identifier("The tag's id."),
            "name": .string(examples: ["vip"]),
            "createdAt": timestamp("When the tag was created."),
        ]
        return .object(title: "Tag", properties: properties)
    }

    /// `Imports.View`.
    static var importSchema: JSONSchema {
        let count = JSONSchema.integer(minimum: (0, exclusive: false))
        let rejection: JSONSchema = .object(
            properties: [
                "line": .integer(description: "The file's physical line where the row starts (the header is line 1)."),
                "field": .string(description: "The field (or `row`)."), "code": .string, "message": .string,
            ])
        let properties: OrderedDictionary<String, JSONSchema> = [
            "id": identifier("The import's id."),
            "entity": .string(examples: ["contacts"]),
            "status": .string(allowedValues: ["queued", "running", "done", "failed"]),
            "totalRows": count, "processedRows": count, "createdCount": count, "rejectedCount": count,
            "rejected": .array(description: "The first 1,000 rejections.", items: rejection),
            "error": .string(required: false, nullable: true, description: "Why a failed import stopped."),
            "createdAt": timestamp("When the file was uploaded."),
            "startedAt": .string(format: .dateTime, required: false, nullable: true),
            "finishedAt": .string(format: .dateTime, required: false, nullable: true),
        ]
        return .object(title: "Import", properties: properties)
    }

    /// `SearchRoutes`: `json_build_object('type', …, 'id', …, 'title', …, 'snippet', …, 'rank', …)`.
    static var searchResult: JSONSchema {
        let properties: OrderedDictionary<String, JSONSchema> = [
            "type": .string(description: "The entity's path name.", examples: ["contacts"]),
            "id": identifier("The record's id."),
            "title": .string(description: "The record's name (a contact's full name, else its email).", examples: ["Ada Lovelace"]),
            "snippet": .string(description: "The start of the record's searchable text (at most 160 characters)."),
            "rank": .number(
                description: "Trigram similarity to `q`, 4 decimals; results come best first.",
                maximum: (1, exclusive: false), minimum: (0, exclusive: false)),
        ]
        return .object(title: "SearchResult", description: "One record matching a search.", properties: properties)
    }

    // MARK: - Requests

    static var requestSchemas: [(String, JSONSchema)] {
        [
            ("RegisterRequest", registerRequest),
            ("LoginRequest", loginRequest),
            ("RefreshRequest", refreshRequest),
            ("SwitchRequest", switchRequest),
            ("OrganizationInput", organizationInput),
            ("OrganizationPatch", organizationPatch),
            ("MemberInput", memberInput),
            ("MemberPatch", memberPatch),
            ("AcceptInvitationRequest", acceptInvitationRequest),
            ("ApiKeyInput", apiKeyInput),
            ("PluginUpdate", pluginUpdate),
            ("TagInput", tagInput),
        ]
    }

    /// A request body: unknown members → 422 `unknown_field`.
    static func body(_ title: String, _ description: String, _ properties: OrderedDictionary<String, JSONSchema>) -> JSONSchema {
        .object(title: title, description: description, properties: properties, additionalProperties: .a(false))
    }

    /// `Validator.text`: 1–200 characters once trimmed.
    static func name(_ description: String, required: Bool = true, examples: [AnyCodable] = []) -> JSONSchema {
        .string(required: required, description: description, minLength: 1, maxLength: 200, examples: examples)
    }

    static var registerRequest: JSONSchema {
        body("RegisterRequest", "A new account; unknown fields → 422.", [
            "email": .string(format: .email, description: "Must not be registered yet (else 409).", maxLength: 254),
            "password": .string(
                format: .password, description: "At least 8 characters and at most 72 bytes (UTF-8).", minLength: 8, maxLength: 72),
            "name": name("The user's name.", examples: ["Ada Lovelace"]),
            "organizationName": name(
                "The new organization's name (default: “<name>'s organization”).", required: false,
                examples: ["Analytical Engines Ltd"]),
            "invitationToken": .string(
                required: false,
                description: "An invitation's token: join its organization (the email must be the invited one) instead of founding one.",
                pattern: "^inv_"),
        ])
    }

    static var loginRequest: JSONSchema {
        body("LoginRequest", "Credentials; unknown fields → 422.", [
            "email": .string(examples: ["ada@example.com"]),
            "password": .string(format: .password),
            "organizationId": identifier("The organization to log in to (default: the oldest membership).").required(false),
        ])
    }

    static var refreshRequest: JSONSchema {
        body("RefreshRequest", "A refresh token from login, register, refresh, switch or OAuth.", [
            "refreshToken": .string
        ])
    }

    static var switchRequest: JSONSchema {
        body("SwitchRequest", "The organization to switch to (the user must be a member).", [
            "organizationId": identifier("The target organization.")
        ])
    }

    static var organizationInput: JSONSchema {
        body("OrganizationInput", "A new organization; unknown fields → 422.", [
            "name": name("The organization's name.", examples: ["Analytical Engines Ltd"]),
            "currency": APISchema.currencyCode.with(description: "The default currency of new deals (default `USD`).").required(false),
        ])
    }

    static var organizationPatch: JSONSchema {
        body("OrganizationPatch", "Fields to change; omitted ones stay as they are.", [
            "name": name("The organization's new name.", required: false),
            "currency": APISchema.currencyCode.with(description: "The default currency of new deals.").required(false),
        ])
    }

    static var memberInput: JSONSchema {
        body("MemberInput", "Whom to invite, with which role; inviting an `owner` needs the owner role.", [
            "email": .string(description: "The invitee's email (an account with it need not exist yet).", examples: ["grace@example.com"]),
            "role": APISchema.role,
        ])
    }

    static var acceptInvitationRequest: JSONSchema {
        body("AcceptInvitationRequest", "The token of an invitation to the signed-in user's email.", [
            "token": .string(pattern: "^inv_")
        ])
    }

    static var memberPatch: JSONSchema {
        body("MemberPatch", "The member's new role; granting or removing `owner` needs the owner role.", [
            "role": APISchema.role
        ])
    }

    static var apiKeyInput: JSONSchema {
        body("ApiKeyInput", "A new API key; its role cannot exceed the caller's (403).", [
            "name": name("What the key is for.", examples: ["Zapier"]),
            "role": APISchema.role,
        ])
    }

    static var pluginUpdate: JSONSchema {
        body("PluginUpdate", "Turns a plugin on or off and sets its configuration.", [
            "enabled": .boolean,
            "config": .object(
                required: false,
                description: "Settings by key, checked against the plugin's `configSchema` (a mismatch or unknown key → 422 with `field: \"config.<key>\"`); omitted ones take their defaults.",
                additionalProperties: .a(true)),
        ])
    }

    static var tagInput: JSONSchema {
        body("TagInput", "A new tag name.", [
            "name": .string(
                description: "1–64 characters once trimmed, without commas; an existing name → 409.", minLength: 1, maxLength: 64,
                pattern: "^[^,]+$", examples: ["vip"])
        ])
    }
}
