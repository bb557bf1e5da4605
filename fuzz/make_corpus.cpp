// Writes the seed corpus of every fuzz target: a few tiny valid inputs each (plus near-misses that
// reach deep error branches), made with the project's own encoders, never the real data set.
//   fuzz_make_corpus OUT_DIR   ->  OUT_DIR/<target>/<seed name>
#include <cstdio>
#include <string>
#include <vector>

#include <stb_image_write.h>
#include <sys/stat.h>
#include <zlib.h>

#include "mnistlr/model_files/npy.hpp"
#include "mnistlr/model_files/weights_io.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

std::string g_out;

void put(const std::string& target, const std::string& name, const Bytes& b) {
    const std::string dir = g_out + "/" + target;
    ::mkdir(dir.c_str(), 0777);
    const std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size() || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes gzip(const Bytes& in) {
    z_stream zs{};
    deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    Bytes out(deflateBound(&zs, static_cast<uLong>(in.size())));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

Bytes idx(const std::vector<std::uint32_t>& dims, std::uint8_t fill_from) {
    Bytes b = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
    std::size_t n = 1;
    for (auto d : dims) {
        n *= d;
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    }
    for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(fill_from + 37 * i));
    return b;
}

void idx_seeds() {
    const Bytes labels = idx({6}, 0), images = idx({2, 3, 4}, 0), one = idx({1, 1, 1}, 9);
    put("idx", "labels", labels);
    put("idx", "images", images);
    put("idx", "single", one);
    put("idx", "empty-count", idx({0, 28, 28}, 0));
    put("idx", "labels.gz", gzip(labels));
    put("idx", "images.gz", gzip(images));
    // `cat a.gz b.gz`: two gzip members holding one IDX file between them.
    const Bytes full = idx({3, 2, 2}, 1);
    Bytes two = gzip(Bytes(full.begin(), full.begin() + 10));
    const Bytes rest = gzip(Bytes(full.begin() + 10, full.end()));
    two.insert(two.end(), rest.begin(), rest.end());
    put("idx", "two-members.gz", two);
}

mnistlr::SoftmaxModel model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K) {
    auto m = mnistlr::SoftmaxModel::zeros(rows, cols, K);
    for (Eigen::Index k = 0; k < m.W.cols(); ++k) {
        for (Eigen::Index i = 0; i < m.W.rows(); ++i) m.W(i, k) = 0.25f * static_cast<float>(i - k);
        m.b(k) = -0.5f * static_cast<float>(k);
    }
    return m;
}

void weights_seeds() {
    mnistlr::ModelInfo none;
    put("weights", "2x3x2", mnistlr::encode_weights(model(2, 3, 2), none));
    mnistlr::ModelInfo named;
    named.class_names = {"zero", "one", "two"};
    named.settings = {{"epochs", 3}, {"lr", 0.5}, {"optimizer", "sgd"}, {"seed", 42}};
    named.metrics = {{"test_accuracy", 0.91}, {"test_loss", 0.3}};
    put("weights", "1x4x3-named", mnistlr::encode_weights(model(1, 4, 3), named));
    mnistlr::ModelInfo utf8;
    utf8.class_names = {"T-shirt/top", "\xC3\xA9t\xC3\xA9", "\xE3\x81\x8A", "\xF0\x9F\x91\x9F"};
    put("weights", "2x2x4-utf8", mnistlr::encode_weights(model(2, 2, 4), utf8));
}

void npy_seeds() {
    const float v[6] = {0.0f, 1.0f, -2.5f, 3.25f, 1e-3f, -7.0f};
    put("npy", "2x3", mnistlr::encode_npy(v, {2, 3}));
    put("npy", "3x2", mnistlr::encode_npy(v, {3, 2}));
    put("npy", "vector", mnistlr::encode_npy(v, {4}));
    put("npy", "empty", mnistlr::encode_npy(v, {0}));
    put("npy", "0x5", mnistlr::encode_npy(v, {0, 5}));
    // Version 2.0 (u32 header length), double quotes, other key order, no trailing comma.
    std::string dict = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}";
    dict.append(64 - (12 + dict.size() + 1) % 64, ' ');
    dict += '\n';
    Bytes v2 = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0};
    for (int i = 0; i < 4; ++i) v2.push_back(static_cast<std::uint8_t>(dict.size() >> (8 * i)));
    v2.insert(v2.end(), dict.begin(), dict.end());
    v2.insert(v2.end(), {0, 0, 0x80, 0x3F, 0, 0, 0, 0x40});
    put("npy", "v2-dquote", v2);
    // Near misses that reach the dtype and order checks.
    Bytes f8 = mnistlr::encode_npy(v, {1});
    const std::string s(f8.begin(), f8.end());
    const auto at = s.find("<f4");
    f8[at + 2] = '8';
    put("npy", "f8-dtype", f8);
    Bytes fortran = mnistlr::encode_npy(v, {2, 3});
    const std::string t(fortran.begin(), fortran.end());
    const auto ft = t.find("False");
    fortran.erase(fortran.begin() + static_cast<long>(ft), fortran.begin() + static_cast<long>(ft) + 5);
    const std::string tr = "True ";
    fortran.insert(fortran.begin() + static_cast<long>(ft), tr.begin(), tr.end());
    put("npy", "fortran", fortran);
}

void append(void* ctx, void* data, int size) {
    auto* out = static_cast<Bytes*>(ctx);
    const auto* p = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), p, p + size);
}

// A w x h picture of a "1"-like stroke: dark on white (paper) or light on black (MNIST-like).
std::vector<std::uint8_t> digit(int w, int h, int comp, bool paper, bool alpha_canvas) {
    std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * comp));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const bool ink = (x == w / 2 || x == w / 2 + 1) && y > h / 6 && y < h - h / 6;
            const auto grey = static_cast<std::uint8_t>(ink != paper ? 255 : 0);
            std::uint8_t* p = &px[static_cast<std::size_t>((y * w + x) * comp)];
            for (int c = 0; c < comp; ++c) p[c] = grey;
            if (comp == 3) p[0] = static_cast<std::uint8_t>(grey ^ 0x20);
            if (alpha_canvas && (comp == 2 || comp == 4)) p[comp - 1] = ink ? 255 : 0;
        }
    return px;
}

void image_seeds() {
    struct Kind {
        const char* name;
        int w, h, comp;
        bool paper, alpha;
    };
    const Kind kinds[] = {{"grey-paper", 12, 14, 1, true, false},  {"grey-mnist", 28, 28, 1, false, false},
                          {"rgb-paper", 10, 9, 3, true, false},    {"grey-alpha", 8, 10, 2, false, true},
                          {"rgba-canvas", 9, 12, 4, false, true}, {"wide", 30, 6, 1, true, false}};
    for (const Kind& k : kinds) {
        const auto px = digit(k.w, k.h, k.comp, k.paper, k.alpha);
        Bytes png, jpg, bmp, tga;
        stbi_write_png_to_func(append, &png, k.w, k.h, k.comp, px.data(), k.w * k.comp);
        put("image", std::string(k.name) + ".png", png);
        if (k.comp == 1 || k.comp == 3) {
            stbi_write_jpg_to_func(append, &jpg, k.w, k.h, k.comp, px.data(), 80);
            put("image", std::string(k.name) + ".jpg", jpg);
            stbi_write_bmp_to_func(append, &bmp, k.w, k.h, k.comp, px.data());
            put("image", std::string(k.name) + ".bmp", bmp);
        }
        stbi_write_tga_to_func(append, &tga, k.w, k.h, k.comp, px.data());
        put("image", std::string(k.name) + ".tga", tga);
    }
    // PGM (P5) and PPM (P6), written by hand.
    const auto grey = digit(8, 8, 1, true, false);
    Bytes pgm = text("P5\n8 8\n255\n");
    pgm.insert(pgm.end(), grey.begin(), grey.end());
    put("image", "paper.pgm", pgm);
    const auto rgb = digit(6, 7, 3, false, false);
    Bytes ppm = text("P6\n6 7\n255\n");
    ppm.insert(ppm.end(), rgb.begin(), rgb.end());
    put("image", "mnist.ppm", ppm);
    // A 2 x 2 GIF (black, white / white, black), uncompressed-style LZW with a clear code.
    put("image", "2x2.gif",
        {'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x2C, 0, 0, 0, 0, 2, 0, 2,
         0, 0, 2, 3, 0x44, 0x34, 0x05, 0, 0x3B});
    // Radiance HDR.
    std::vector<float> hdr(4 * 5 * 3, 0.0f);
    for (int y = 1; y < 4; ++y) hdr[static_cast<std::size_t>((y * 4 + 2) * 3)] = 1.0f;
    Bytes h;
    stbi_write_hdr_to_func(append, &h, 4, 5, 3, hdr.data());
    put("image", "small.hdr", h);
}

void class_name_seeds() {
    put("class_names", "digits", text("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"));
    put("class_names", "fashion-crlf", text("T-shirt/top\r\nTrouser\r\nPullover\r\nAnkle boot"));
    put("class_names", "utf8", text("\xC3\xA9t\xC3\xA9\n\xE3\x81\x8A\xE3\x81\x8D\n\xF0\x9F\x91\x9F\tshoe\n"));
    put("class_names", "two", text("cat\ndog\n"));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    g_out = argv[1];
    ::mkdir(g_out.c_str(), 0777);
    idx_seeds();
    weights_seeds();
    npy_seeds();
    image_seeds();
    class_name_seeds();
    return 0;
}
