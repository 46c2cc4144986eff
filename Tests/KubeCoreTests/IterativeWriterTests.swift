import Testing

@testable import KubeCore

/// Past `JSON.recursionDepth` both writers hand over to one iterative loop; it must write the
/// very bytes the recursive writers do, compact and indented, at any starting level, over
/// mixed shapes (empty containers, objects in arrays, scalars of every kind).
@Test func theIterativeLoopWritesWhatTheRecursiveWritersWrite() throws {
    let texts = [
        #"{"a":[1,{"b":[],"c":{}},"x\ny",null,true],"d":{"e":[[],[{}],[[2.5e3]]]},"f":false}"#,
        #"[[],{},[{"k":"v","l":[1,2,3]}],"\u001b[2J"]"#,
        #"{"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"backends":[{"service":"a","weight":1},{"service":"b","weight":0}]}}"#,
        "[]", "{}", "7",
    ]
    for text in texts {
        let v = try JSON.parse(text)
        var recursive: [UInt8] = []
        v.write(into: &recursive)
        var iterative: [UInt8] = []
        v.writeIteratively(into: &iterative)
        #expect(iterative == recursive, "compact: \(text)")
        for (level, indent) in [(0, 4), (2, 2), (1, 0)] {
            var r: [UInt8] = []
            v.writePretty(into: &r, level: level, indent: indent)
            var i: [UInt8] = []
            v.writeIteratively(into: &i, pretty: (level, indent))
            #expect(i == r, "indented at level \(level) by \(indent): \(text)\n\(String(decoding: i, as: UTF8.self))\n\(String(decoding: r, as: UTF8.self))")
        }
    }
}
