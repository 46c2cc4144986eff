enum UIModuleMarker {}
