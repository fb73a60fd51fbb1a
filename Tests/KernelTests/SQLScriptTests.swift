@testable import Kernel
import Testing

@Suite struct SQLScriptTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let sql = """
            CREATE TABLE a (x text DEFAULT ';'); -- a comment; with a semicolon
            /* block; comment */ CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            DO $body$ BEGIN PERFORM 1; END $body$;
            SELECT "odd;name", 'it''s; fine', $1
            """
        let statements = SQLScript.statements(sql)
        #expect(statements.count == 4)
        #expect(statements[0] == "CREATE TABLE a (x text DEFAULT ';')")
        #expect(statements[1].hasSuffix("AS $$ SELECT 1; $$"))
        #expect(statements[2] == "DO $body$ BEGIN PERFORM 1; END $body$")
        #expect(statements[3] == "SELECT \"odd;name\", 'it''s; fine', $1")
    }
}
