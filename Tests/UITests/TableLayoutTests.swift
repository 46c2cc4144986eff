import KubeCore
import Testing

@testable import App
@testable import UI

/// Issue 13 item 16: at 80 columns the canary's weight was cut (`books-v1 90 · books…`), and at
/// 160 NAME took 46 columns while ROOT and BACKENDS were cut. Columns are sized by content and
/// the weights give way last.
@Suite struct TableLayoutTests {
    func row(_ s: AppState, containing word: String) -> String {
        render(s).text.split(separator: "\n").map(String.init).first { $0.contains(word) } ?? ""
    }

    @Test(arguments: [80, 100, 160]) func theCanaryWeightIsWhole(columns: Int) {
        var s = fixture(size: TermSize(columns: columns, rows: 24))
        s.navigate(.show(.splits))
        let line = row(s, containing: "books-v1 90")
        #expect(line.contains("books-v1 90 · books-v2 10"), "\(columns) columns: |\(line)|")
        // NAME is as wide as its content, not half the spare width.
        let header = row(s, containing: "BACKENDS")
        let name = header.range(of: " NAME")!.upperBound
        let root = header.range(of: "ROOT")!.lowerBound
        #expect(header.distance(from: name, to: root) <= 12, "|\(header)|")
    }

    @Test func narrowTablesDropTheLeastImportantColumnsFirst() {
        let widget = TableWidget(
            columns: AppState.columns(.splits).map(TableChrome.tableSpec),
            rows: [["shop", "books", "books", "books-v1 90 · books-v2 10", "15.0", "✓ 98.9%", "41.0ms", "flagger"].map { TableWidget.Cell($0) }])
        let w = widget.layout(width: 60)
        let names = AppState.columns(.splits).map(\.title)
        let shown = zip(names, w).filter { $0.1 > 0 }.map(\.0)
        #expect(!shown.contains("CONTROLLER"), "\(shown) \(w)")
        #expect(w[3] >= 25, "BACKENDS whole: \(w)")
        #expect(w.reduce(0, +) + shown.count - 1 <= 60)
    }
}
