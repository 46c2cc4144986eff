import App

/// Pure mapping of `wget_wch` results to keys, separated from ncurses so it is testable.
public enum InputDecoder {
    /// ncurses key codes (values from curses.h, stable across ncurses versions).
    public enum Code {
        public static let down: UInt32 = 0o402
        public static let up: UInt32 = 0o403
        public static let left: UInt32 = 0o404
        public static let right: UInt32 = 0o405
        public static let home: UInt32 = 0o406
        public static let backspace: UInt32 = 0o407
        public static let f0: UInt32 = 0o410
        public static let delete: UInt32 = 0o512
        public static let insert: UInt32 = 0o513
        public static let pageDown: UInt32 = 0o522
        public static let pageUp: UInt32 = 0o523
        public static let enter: UInt32 = 0o527
        public static let backTab: UInt32 = 0o541
        public static let end: UInt32 = 0o550
        public static let mouse: UInt32 = 0o631
        public static let resize: UInt32 = 0o632
    }

    /// A function-key code (`isKeyCode`, i.e. `wget_wch` returned KEY_CODE_YES).
    public static func decode(keyCode code: UInt32) -> Key? {
        switch code {
        case Code.up: return .up
        case Code.down: return .down
        case Code.left: return .left
        case Code.right: return .right
        case Code.home: return .home
        case Code.end: return .end
        case Code.pageUp: return .pageUp
        case Code.pageDown: return .pageDown
        case Code.delete: return .delete
        case Code.backspace: return .backspace
        case Code.enter: return .enter
        case Code.backTab: return .backTab
        case (Code.f0 + 1)...(Code.f0 + 12): return .function(Int(code - Code.f0))
        default: return nil
        }
    }

    /// A character (`wget_wch` returned OK).
    public static func decode(character value: UInt32) -> Key? {
        switch value {
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x1B: return .esc
        case 0x7F, 0x08: return .backspace
        case 0x00: return .ctrl(" ")
        case 0x01...0x1A:
            return .ctrl(Character(Unicode.Scalar(UInt8(0x60 + value))))
        case 0x1C...0x1F, 0x80...0x9F: return nil
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .char(Character(scalar))
        }
    }
}
