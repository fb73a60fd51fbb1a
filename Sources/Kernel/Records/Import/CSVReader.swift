/// An RFC 4180 reader fed bytes in pieces (a streamed upload, stored chunks): it yields each
/// complete row with the physical line it starts on and the byte offset just past it, so an
/// import can stop after any row and resume there. Cells are UTF-8; a quoted cell may hold
/// commas, doubled quotes and line breaks; CRLF and LF both end rows.
public struct CSVReader: Sendable {
    public struct Row: Sendable, Equatable {
        public let cells: [String]
        /// The file's physical line where the row starts (the header is line 1).
        public let line: Int
        /// The offset of the byte after the row (where the next row starts).
        public let endOffset: Int
        /// The physical line the next row starts on (a quoted cell may span lines).
        public let nextLine: Int
    }

    public enum Failure: Error, Equatable {
        /// A quote where a cell cannot have one, or a quoted cell the file never closes.
        case malformed(line: Int, String)
        case notUTF8(line: Int)
    }

    private var cells: [String] = []
    private var cell: [UInt8] = []
    private var quoted = false
    /// The last byte was the closing quote of a quoted cell (a quote now would be an escaped one).
    private var afterQuote = false
    private var cellStarted = false
    private var pendingCR = false
    private var line: Int
    private var rowLine: Int
    private var offset: Int

    /// A reader starting at `offset` of the file, on physical line `line`.
    public init(offset: Int = 0, line: Int = 1) {
        self.offset = offset
        self.line = line
        self.rowLine = line
    }

    /// The rows the bytes complete. A row ended by CR is handed out with the next byte (an LF
    /// then belongs to it), so its `endOffset` is right even when CR and LF arrive apart.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [Row] {
        var rows: [Row] = []
        for byte in bytes {
            offset += 1
            if pendingCR {
                pendingCR = false
                if byte == UInt8(ascii: "\n") {
                    rows.append(completedRow(endOffset: offset))
                    continue
                }
                rows.append(completedRow(endOffset: offset - 1))
            }
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    quoted = false
                    afterQuote = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                if afterQuote {
                    cell.append(byte)  // "" inside a quoted cell
                    quoted = true
                    afterQuote = false
                } else if !cellStarted {
                    quoted = true
                    cellStarted = true
                } else {
                    throw Failure.malformed(line: line, "a quote inside an unquoted cell (quote the whole cell and double the quote)")
                }
            case UInt8(ascii: ","):
                try endCell()
            case UInt8(ascii: "\r"):
                try endCell()
                pendingCR = true
            case UInt8(ascii: "\n"):
                try endCell()
                rows.append(completedRow(endOffset: offset))
            default:
                if afterQuote { throw Failure.malformed(line: line, "text after a closing quote") }
                cell.append(byte)
                cellStarted = true
            }
        }
        return rows
    }

    /// The last row: one ended by a CR at the very end, or one without a line break; a quoted
    /// cell left open is an error.
    public mutating func finish() throws -> Row? {
        if pendingCR {
            pendingCR = false
            return completedRow(endOffset: offset)
        }
        if quoted { throw Failure.malformed(line: rowLine, "a quoted cell is not closed") }
        guard cellStarted || !cells.isEmpty else { return nil }
        try endCell()
        return completedRow(endOffset: offset)
    }

    /// The cells ended so far as a row; the next row starts on the next line.
    private mutating func completedRow(endOffset: Int) -> Row {
        let row = Row(cells: cells, line: rowLine, endOffset: endOffset, nextLine: line + 1)
        cells = []
        line += 1
        rowLine = line
        return row
    }

    private mutating func endCell() throws {
        guard let text = String(validating: cell, as: UTF8.self) else { throw Failure.notUTF8(line: line) }
        cells.append(text)
        cell.removeAll(keepingCapacity: true)
        cellStarted = false
        afterQuote = false
    }
}
