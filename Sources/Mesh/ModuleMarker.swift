enum MeshModuleMarker {}
