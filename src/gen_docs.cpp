// mnistlr-gen-docs: writes the man pages and the bash completion of mnistlr, generated from the same
// command line definitions the binary parses with (setup_app, src/cli/app.hpp; docs.hpp). Run by
// the build; not installed.
//
//   mnistlr-gen-docs OUTDIR VERSION DATE
//     OUTDIR/mnistlr.1, OUTDIR/mnistlr-<subcommand>.1 (one per subcommand), OUTDIR/mnistlr.bash
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/app.hpp"
#include "cli/docs.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/error.hpp"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: mnistlr-gen-docs OUTDIR VERSION DATE\n";
        return 2;
    }
    const std::string dir = argv[1], version = argv[2], date = argv[3];
    try {
        CLI::App app{mnistlr::cli::kAppDescription};
        mnistlr::cli::Runner runner;
        mnistlr::cli::setup_app(app, runner);
        mnistlr::OutputSet outputs;  // all pages or none
        const auto put = [&](const std::string& name, const std::string& text) {
            outputs.add(dir + "/" + name).write(text.data(), text.size());
        };
        put("mnistlr.1", mnistlr::cli::man_page(app, nullptr, version, date));
        for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
            put("mnistlr-" + sub->get_name() + ".1", mnistlr::cli::man_page(app, sub, version, date));
        put("mnistlr.bash", mnistlr::cli::bash_completion(app));
        outputs.commit();
    } catch (const mnistlr::Error& e) {
        std::cerr << "mnistlr-gen-docs: error: " << e.what() << '\n';
        return 2;
    }
    return 0;
}
