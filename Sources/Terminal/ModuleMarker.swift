enum TerminalModuleMarker {}
