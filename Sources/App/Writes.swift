// The split editor inside AppState: keys and answers become `EditorEvent`s, the editor's
// actions become effects. The editor's transitions themselves are in SplitEditor.swift.

import Kube
import KubeCore
import Mesh
import SMI

extension AppState {
    /// What the editor reads but does not own.
    var editorEnvironment: EditorEnvironment {
        EditorEnvironment(now: now, readOnly: readOnly, store: store, defaultStep: options.defaultStep)
    }

    /// The one door into the split editor: hands it the event and carries out what it asks,
    /// in order.
    @discardableResult
    mutating func edit(_ event: EditorEvent) -> [Effect] {
        let env = editorEnvironment
        let actions = splitEditor.handle(event, env)
        var fx: [Effect] = []
        for a in actions {
            switch a {
            case .patch(let request): fx.append(.patch(request))
            case .reload(let kind, let ref): fx.append(.reloadObject(kind, ref))
            case .canary(let request): fx.append(.canary(request))
            case .say(let text, let level): set(text, level)
            case .stored(let kind, let object): applyObjects(kind) { $0.upsert(kind, object) }
            case .forceQuit:
                quitting = true
                interrupted = true
                fx.append(.quit)
            case .suspend: fx.append(.suspend)
            case .rampWriteSucceeded(let id, let object): fx += rampWriteSucceeded(id, object)
            case .rampWriteFailed(let id, let target, let error): fx += rampWriteFailed(id, target: target, error)
            }
        }
        return fx
    }

    /// A key in the editor's contexts (editor, diff, warnings, Canary dialog).
    mutating func handleEditor(_ key: Key, _ action: Action?) -> [Effect] {
        var digit: Int?
        if case .char(let c) = key { digit = c.wholeNumberValue }
        return edit(.key(action, digit: digit))
    }
}
