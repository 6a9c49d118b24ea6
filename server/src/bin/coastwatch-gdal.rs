//! `coastwatch-gdal`: the helper process that does GDAL's work for `coastwatch` (imports,
//! DEMs), so that the server and the command line do not link GDAL. See
//! `coastwatch_gdal::helper`.

fn main() -> std::process::ExitCode {
    coastwatch_gdal::helper::main()
}
