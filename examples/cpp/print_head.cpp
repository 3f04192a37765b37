// Loads a model folder, runs one sentence and prints one head's attention matrix (or, with `all`, every
// head's, layer by layer): the smallest program on top of the installed library.
//   print_head MODEL_DIR "The output shows the attention values" [LAYER HEAD | all]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "attnscope/version.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODEL_DIR TEXT [LAYER HEAD]\n", argv[0]);
        return 2;
    }
    try {
        const auto model = attnscope::model::Model::load(argv[1]);
        const bool all = argc > 3 && std::strcmp(argv[3], "all") == 0;
        const int layer = argc > 3 && !all ? std::atoi(argv[3]) : 0, head = argc > 4 ? std::atoi(argv[4]) : 0;
        const auto encoding = model->tokenizer().encode(argv[2]);
        const attnscope::Trace trace = model->forward(encoding);
        if (layer < 0 || layer >= trace.num_layers || head < 0 || head >= trace.num_heads) {
            std::fprintf(stderr, "layer %d head %d: this model has %d layers of %d heads\n", layer, head,
                         trace.num_layers, trace.num_heads);
            return 2;
        }
        const auto print = [&](int l, int h) {
            std::printf("attnscope %s · %zu tokens · layer %d head %d\n", attnscope::kVersion, encoding.size(), l, h);
            for (size_t i = 0; i < trace.seq_len; ++i) {
                std::printf("%-12s", encoding.tokens[i].c_str());
                for (size_t j = 0; j < trace.seq_len; ++j) std::printf(" %.9g", trace.attention(l, h, i, j));
                std::printf("\n");
            }
        };
        if (!all) print(layer, head);
        for (int l = 0; all && l < trace.num_layers; ++l) {
            for (int h = 0; h < trace.num_heads; ++h) print(l, h);
        }
        return 0;
    } catch (const attnscope::Error& e) {
        std::fprintf(stderr, "print_head: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "print_head: internal error: %s\n", e.what());
        return 3;
    }
}
