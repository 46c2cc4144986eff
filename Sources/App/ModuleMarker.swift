enum AppModuleMarker {}
