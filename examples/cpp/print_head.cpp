// Loads a model folder, runs one sentence and prints one head's attention matrix: the smallest program on
// top of the installed library.
//   print_head MODEL_DIR "The output shows the attention values" [LAYER HEAD]
#include <cstdio>
#include <cstdlib>
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
        const int layer = argc > 3 ? std::atoi(argv[3]) : 0, head = argc > 4 ? std::atoi(argv[4]) : 0;
        const auto encoding = model->tokenizer().encode(argv[2]);
        const attnscope::Trace trace = model->forward(encoding);
        if (layer < 0 || layer >= trace.num_layers || head < 0 || head >= trace.num_heads) {
            std::fprintf(stderr, "layer %d head %d: this model has %d layers of %d heads\n", layer, head,
                         trace.num_layers, trace.num_heads);
            return 2;
        }
        std::printf("attnscope %s · %zu tokens · layer %d head %d\n", attnscope::kVersion, encoding.size(), layer, head);
        const size_t n = trace.seq_len;
        for (size_t i = 0; i < n; ++i) {
            std::printf("%-12s", encoding.tokens[i].c_str());
            for (size_t j = 0; j < n; ++j) std::printf(" %.9g", trace.attention(layer, head, i, j));
            std::printf("\n");
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
