import Foundation

/// A list request (API.md, Lists) parsed and checked against the schema: filters, sort,
/// keyset cursor, limit, `q`, `includeTotal`. Unknown fields or operators, bad values and
/// foreign cursors are 400s; the SQL it builds binds every value.
public struct RecordQuery: Sendable {
    /// A sortable/filterable member: a field, a system column, or tags.
    struct Member: Sendable {
        let name: String
        let sql: String
        let type: any FieldType
        let spec: FieldSpec
        /// For `custom.<key>`: equality can use the GIN index on `custom` (containment).
        var customKey: String? = nil
        /// A column that is never null (`id`, `createdAt`, `updatedAt`).
        var notNull = false
        /// For an indexed custom field: the column that holds a copy of its values (`SortSlot`).
        var slot: SortSlot? = nil

        /// What a list sorts by: the indexed column, or the value itself.
        var sortSQL: String { slot.map { "t.\($0.column)" } ?? sql }
        var sortSQLType: String { slot?.sqlType ?? type.sqlType }
    }

    struct Filter: Sendable {
        let member: Member
        let op: FilterOperator
        let values: [JSONValue]
    }

    struct SortKey: Sendable {
        let member: Member
        let descending: Bool
    }

    var filters: [Filter] = []
    var sort: [SortKey] = []
    var limit = 25
    /// The `cursor` parameter as sent; `RecordStore.list` opens it (`CursorSigner`) into
    /// `cursor`, the sort values and id of the last row of the previous page.
    var cursorToken: String?
    var cursor: [JSONValue]?
    var text: String?
    /// The words of `text` whose matches a page is read from (`SearchTerms.drivers`), if any.
    var searchDrivers: [String] = []
    var includeTotal = false

    /// Whether its statements may be kept prepared (one plan for all values): not a text search,
    /// whose best plan depends on how common each word is.
    var preparable: Bool { text == nil }

    static func member(_ name: String, in schema: EntitySchema, custom: [CustomFieldDefinition] = []) -> Member? {
        if name.hasPrefix("custom.") {
            guard let definition = custom.first(where: { "custom.\($0.key)" == name }) else { return nil }
            return Member(
                name: name, sql: definition.sqlExpression, type: definition.spec.type, spec: definition.spec, customKey: definition.key,
                slot: definition.sortSlot)
        }
        switch name {
        case "id":
            let spec = FieldSpec("id", column: "id", ReferenceFieldType(schema.name))
            return Member(name: name, sql: "t.id", type: spec.type, spec: spec, notNull: true)
        case "createdAt", "updatedAt":
            let spec = FieldSpec(name, column: name == "createdAt" ? "created_at" : "updated_at", DateTimeFieldType())
            return Member(name: name, sql: "t.\(spec.column)", type: spec.type, spec: spec, notNull: true)
        default:
            guard let field = schema.field(name) else { return nil }
            return Member(name: name, sql: "t.\(field.column)", type: field.type, spec: field)
        }
    }

    /// The query of decoded `(name, value)` pairs: the REST list's query string, scripts'
    /// `crm.find` and the exporter all build it here.
    public static func parse(_ items: [(String, String)], schema: EntitySchema, custom: [CustomFieldDefinition] = []) throws -> RecordQuery {
        var query = RecordQuery()
        for (key, value) in items {
            switch key {
            case "limit":
                query.limit = try parseLimit(value)
            case "cursor":
                query.cursorToken = value
            case "sort":
                query.sort = try parseSort(value, schema: schema, custom: custom)
            case "q":
                let trimmed = value.trimmed
                guard trimmed.count <= 200 else { throw RecordError.badQuery("q is limited to 200 characters") }
                query.text = trimmed.isEmpty ? nil : trimmed.lowercased()
            case "includeTotal":
                guard value == "true" || value == "false" else { throw RecordError.badQuery("includeTotal must be true or false") }
                query.includeTotal = value == "true"
            default:
                guard key.hasPrefix("filter[") else { throw RecordError.badQuery("unknown query parameter '\(key)'") }
                query.filters.append(try parseFilter(key, value, schema: schema, custom: custom))
            }
        }
        if query.sort.isEmpty, let created = member("createdAt", in: schema) {
            query.sort = [SortKey(member: created, descending: true)]
        }
        return query
    }

    static func parseSort(_ text: String, schema: EntitySchema, custom: [CustomFieldDefinition]) throws -> [SortKey] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let descending = part.hasPrefix("-")
            let name = String(descending ? part.dropFirst() : part)
            guard let member = member(name, in: schema, custom: custom), member.type.sortable else {
                throw RecordError.badQuery("cannot sort by '\(name)'")
            }
            if member.customKey != nil, member.slot == nil { throw unindexed(name, member, "sort by") }
            return SortKey(member: member, descending: descending)
        }
    }

    /// `filter[field]` or `filter[field][op]`.
    static func parseFilter(_ key: String, _ value: String, schema: EntitySchema, custom: [CustomFieldDefinition]) throws -> Filter {
        let parts = key.dropFirst("filter".count).split(separator: "]").map { $0.dropFirst() }
        guard (1...2).contains(parts.count), key.hasSuffix("]") else { throw RecordError.badQuery("malformed filter '\(key)'") }
        let name = String(parts[0])
        let opName = parts.count == 2 ? String(parts[1]) : "eq"
        guard let op = FilterOperator(rawValue: opName) else {
            throw RecordError.badQuery("unknown filter operator '\(opName)' (use \(FilterOperator.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let member: Member
        if name == "tags" {
            let spec = FieldSpec("tags", column: "tags", TextFieldType())
            member = Member(name: "tags", sql: "t.tags", type: spec.type, spec: spec)
            guard [.eq, .in].contains(op) else { throw RecordError.badQuery("tags filter with eq or in only") }
        } else {
            guard let found = self.member(name, in: schema, custom: custom) else { throw RecordError.badQuery("cannot filter on unknown field '\(name)'") }
            member = found
        }
        guard name == "tags" || member.type.filterOperators.contains(op) else {
            throw RecordError.badQuery("\(opName) does not apply to '\(name)'")
        }
        if member.customKey != nil, member.slot == nil, FilterOperator.ordered.contains(op) { throw unindexed(name, member, "filter with \(opName) on") }
        if op == .isNull {
            guard value == "true" || value == "false" else { throw RecordError.badQuery("isNull takes true or false") }
            return Filter(member: member, op: op, values: [.bool(value == "true")])
        }
        let texts = op == .in ? value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) : [value]
        guard texts.count <= 100 else { throw RecordError.badQuery("in takes at most 100 values") }
        let values: [JSONValue] = try texts.map { text in
            if name == "tags" { return .string(text) }
            guard let parsed = member.type.filterValue(text, op: op, field: member.spec) else {
                throw RecordError.badQuery("'\(text)' is not a valid value for '\(name)'")
            }
            return parsed
        }
        return Filter(member: member, op: op, values: values)
    }

    /// A sort or range over a custom field that is not indexed would read every record of the
    /// organization: refused, with what to do instead.
    static func unindexed(_ name: String, _ member: Member, _ what: String) -> RecordError {
        guard SortSlot.of(member.type) != nil else {
            return .badQuery("cannot \(what) '\(name)': a \(member.type.name) custom field cannot be indexed")
        }
        return .badQuery(
            "cannot \(what) '\(name)': it is not indexed. Set \"indexed\": true on its definition (PATCH /custom-fields/{id}); "
                + SortSlot.limitText)
    }

    // MARK: SQL

    /// `WHERE` conditions (after the tenant's) for the filters and `q` on rows `t` of `table`.
    func conditions(_ builder: inout SQLBuilder, table: String, org: String) -> [String] {
        var conditions: [String] = []
        for filter in filters {
            let column = filter.member.sql
            let type = filter.member.type
            if filter.member.name == "tags" {
                let tags = builder.bind(SQLBuilder.arrayLiteral(filter.values.compactMap(\.stringValue)), as: "text[]")
                conditions.append(filter.op == .in ? "\(column) && \(tags)" : "\(column) @> \(tags)")
                continue
            }
            if let slot = filter.member.slot, slot.operators.contains(filter.op) {
                conditions.append(Self.slotCondition("t.\(slot.column)", slot: slot, filter: filter, builder: &builder))
                continue
            }
            if let key = filter.member.customKey, let value = filter.values.first, let probe = type.containmentProbe(value, op: filter.op) {
                // {"key": probe} @> uses the GIN index on custom.
                conditions.append("t.custom @> \(builder.bind(JSONValue.object([key: probe]).serialized(), as: "jsonb"))")
                continue
            }
            conditions.append(type.filterSQL(column, op: filter.op, values: filter.values, builder: &builder))
        }
        if let text {
            if !searchDrivers.isEmpty { conditions.append(SearchTerms.driven(searchDrivers, table: table, org: org, builder: &builder)) }
            conditions += SearchTerms.words(text).filter { !searchDrivers.contains($0) }.map {
                SearchTerms.condition($0, table: table, builder: &builder)
            }
        }
        return conditions
    }

    /// A filter on an indexed custom field's column: values bound as the column's type, so that
    /// the comparison stays leakproof and its index serves it under RLS.
    static func slotCondition(_ column: String, slot: SortSlot, filter: Filter, builder: inout SQLBuilder) -> String {
        let bounds = filter.values.map { builder.bind(filter.member.type.sqlText($0), as: slot.sqlType) }
        switch filter.op {
        case .ne: return "\(column) IS DISTINCT FROM \(bounds[0])"
        case .in: return "\(column) IN (\(bounds.joined(separator: ", ")))"
        case .lt: return "\(column) < \(bounds[0])"
        case .lte: return "\(column) <= \(bounds[0])"
        case .gt: return "\(column) > \(bounds[0])"
        case .gte: return "\(column) >= \(bounds[0])"
        default: return "\(column) = \(bounds[0])"
        }
    }

    /// The keyset condition "after the cursor" for the sort keys plus `id` (nulls last
    /// ascending, first descending — PostgreSQL's defaults).
    func cursorCondition(_ builder: inout SQLBuilder) -> String? {
        guard let cursor else { return nil }
        var keys = sort.map { ($0.member.sortSQL, $0.member.sortSQLType, $0.descending) }
        keys.append(("t.id", "uuid", sort.last?.descending ?? true))
        // Keys that all go one way over columns that are never null: one row comparison, which an
        // index on (org_id, keys…) answers as a range scan (the OR chain below it cannot).
        if Set(keys.map(\.2)).count == 1, sort.allSatisfy(\.member.notNull), !cursor.contains(where: \.isNull) {
            let bounds = zip(keys, cursor).map { key, value in builder.bind(value.stringValue ?? value.serialized(), as: key.1) }
            return "(\(keys.map(\.0).joined(separator: ", "))) \(keys[0].2 ? "<" : ">") (\(bounds.joined(separator: ", ")))"
        }
        func after(_ index: Int) -> String {
            let (column, type, descending) = keys[index]
            let value = cursor[index]
            let isLast = index == keys.count - 1
            if value.isNull {
                // Ascending: nulls come last, so only later nulls follow. Descending: nulls first.
                let tail = isLast ? "false" : "(\(column) IS NULL AND \(after(index + 1)))"
                return descending ? "(\(column) IS NOT NULL OR \(tail))" : tail
            }
            let bound = builder.bind(value.stringValue ?? value.serialized(), as: type)
            let beyond = descending ? "\(column) < \(bound)" : "(\(column) > \(bound) OR \(column) IS NULL)"
            let tail = isLast ? "" : " OR (\(column) = \(bound) AND \(after(index + 1)))"
            return "(\(beyond)\(tail))"
        }
        return after(0)
    }

    var orderSQL: String {
        let keys = sort.map { "\($0.member.sortSQL) \($0.descending ? "DESC" : "ASC")" }
        return (keys + ["t.id \(sort.last?.descending ?? true ? "DESC" : "ASC")"]).joined(separator: ", ")
    }

    /// The sort values of a row (then its id), selected for the next cursor at full precision:
    /// times as they are (the cursor writes them to the microsecond, in UTC), other values as
    /// PostgreSQL's text, which casts back exactly (`cursorCondition`).
    var cursorColumnsSQL: [String] {
        sort.map { key in
            key.member.sortSQLType == "timestamptz" ? key.member.sortSQL : "(\(key.member.sortSQL))::text"
        } + ["t.id"]
    }
}

extension RecordQuery {
    /// A page size (`limit`, API.md Conventions): an integer from 1 to 100; every list's parser.
    public static func parseLimit(_ value: String) throws -> Int {
        guard let limit = Int(value), (1...100).contains(limit) else {
            throw RecordError.badQuery("limit must be an integer from 1 to 100")
        }
        return limit
    }
}
