// SPDX-License-Identifier: MIT
//
// gbench_shim.cc - the workloads of wl.h as Google Benchmark benchmarks: the project's
// only C++ file. Each workload at each thread count is one benchmark named
// "<workload>/<build>/threads:<n>", <build> being this executable's build ("default" for
// vkm_gbench, "single-mutex" for vkm_gbench_single_mutex: two processes, as the two
// builds export the same symbols). One benchmark iteration is one vkm_wl_run, fresh
// allocator and threads included; its manual time is the run's timed part, and the
// figures of design.md §10 are counters (ops_per_s, ns_per_op_per_thread, scaling
// against this process's 1-thread run, vk_allocate_memory_calls, reserved_over_allocated,
// cached_bytes_per_thread, failures, and latency's percentiles). Ratios between the two
// builds are vkm_bench --compare's job, which runs both in one run.
//
//   vkm_gbench [--vkm_threads=LIST] [--vkm_seconds=S] [--vkm_workloads=LIST] [--vkm_smoke]
//              [--vkm_check] [Google Benchmark flags: --benchmark_out=FILE, ...]
//
// --vkm_smoke: threads 1,2 and 0.02 s per run. --vkm_check: after the run, reads the
// --benchmark_out JSON back and checks its shape (every registered benchmark present with
// its counters, no error, host_name scrubbed); exit 1 when it is not. Never a time.
//
// The JSON file reporter blanks the context's host_name and cuts executable to its base
// name, so results can be committed. Debian's libbenchmark is built without NDEBUG (it
// says "Library was built as DEBUG"): its own timing is not used here, the manual time
// and counters come from the workload runner, and this file is built with -DNDEBUG.
// Exit status: 0; 1 on failure; 2 on bad arguments; 77 when there is no Vulkan driver.

#include <benchmark/benchmark.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "json_mini.h"
#include "vkmalloc.h"
#include "wl.h"
}

namespace
{

struct options {
    std::vector<uint32_t> threads{1, 2, 4};
    double seconds = 0.2;
    std::vector<const vkm_workload *> workloads;
    bool check = false;
    std::string out_path;
    bool out_json = true;
};

vkm_wl_device g_device;
const char *g_build = "default";
// ops/s of each workload's 1-thread run in this process, for the scaling counter.
std::map<std::string, double> g_one_thread;
std::vector<std::string> g_names; // every registered benchmark, for --vkm_check

bool
starts_with(const char *s, const char *prefix, const char **rest)
{
    const size_t n = std::strlen(prefix);
    if (std::strncmp(s, prefix, n) != 0)
        return false;
    *rest = s + n;
    return true;
}

bool
parse_list(const char *s, std::vector<std::string> *out)
{
    out->clear();
    std::stringstream ss(s);
    std::string tok;
    while (std::getline(ss, tok, ','))
        if (!tok.empty())
            out->push_back(tok);
    return !out->empty();
}

// "1,2,4" or "1-16" or a mix.
bool
parse_threads(const char *s, std::vector<uint32_t> *out)
{
    std::vector<std::string> toks;
    if (!parse_list(s, &toks))
        return false;
    out->clear();
    for (const std::string &tok : toks) {
        char *end = nullptr;
        const unsigned long lo = std::strtoul(tok.c_str(), &end, 10);
        unsigned long hi = lo;
        if (*end == '-')
            hi = std::strtoul(end + 1, &end, 10);
        if (*end != '\0' || lo == 0 || hi < lo || hi > VKM_WL_MAX_THREADS)
            return false;
        for (unsigned long n = lo; n <= hi; n++)
            out->push_back(static_cast<uint32_t>(n));
    }
    return true;
}

// Takes this shim's flags out of argv (Google Benchmark rejects unknown ones) and notes
// the --benchmark_out ones, which stay. Returns false on a bad flag.
bool
parse_args(int *argc, char **argv, options *o)
{
    int kept = 1;
    std::vector<std::string> names;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = nullptr;
        if (starts_with(a, "--vkm_threads=", &v)) {
            if (!parse_threads(v, &o->threads))
                return false;
        } else if (starts_with(a, "--vkm_seconds=", &v)) {
            char *end = nullptr;
            o->seconds = std::strtod(v, &end);
            if (*end != '\0' || !(o->seconds > 0.0) || !std::isfinite(o->seconds))
                return false;
        } else if (starts_with(a, "--vkm_workloads=", &v)) {
            if (std::strcmp(v, "all") != 0 && !parse_list(v, &names))
                return false;
        } else if (std::strcmp(a, "--vkm_smoke") == 0) {
            o->threads = {1, 2};
            o->seconds = 0.02;
        } else if (std::strcmp(a, "--vkm_check") == 0) {
            o->check = true;
        } else if (std::strncmp(a, "--vkm_", 6) == 0) {
            return false;
        } else {
            if (starts_with(a, "--benchmark_out=", &v))
                o->out_path = v;
            else if (starts_with(a, "--benchmark_out_format=", &v))
                o->out_json = std::strcmp(v, "json") == 0;
            argv[kept++] = argv[i];
        }
    }
    *argc = kept;
    argv[kept] = nullptr;
    for (const std::string &n : names) {
        const vkm_workload *w = vkm_wl_find(n.c_str());
        if (w == nullptr) {
            std::fprintf(stderr, "vkm_gbench: unknown workload '%s'\n", n.c_str());
            return false;
        }
        o->workloads.push_back(w);
    }
    if (names.empty())
        for (size_t i = 0; vkm_wl_all[i] != nullptr; i++)
            o->workloads.push_back(vkm_wl_all[i]);
    return true;
}

void
run_workload(benchmark::State &st, const vkm_workload *w, uint32_t threads, double seconds)
{
    vkm_wl_params p = {};
    p.threads = threads;
    p.seconds = seconds;
    p.seed = 1;
    vkm_wl_result r = {};
    uint64_t runs = 0;
    for (auto _ : st) {
        const VkResult res = vkm_wl_run(&g_device, w, &p, &r);
        if (res != VK_SUCCESS) {
            st.SkipWithError("vkm_wl_run failed");
            return;
        }
        if (r.failures != 0) {
            st.SkipWithError("allocation failures or leaks in the run");
            return;
        }
        st.SetIterationTime(r.seconds);
        runs++;
    }
    // With more than one iteration the counters are the last run's; repetitions
    // (--benchmark_repetitions) give each run its own entry and the aggregates.
    using C = benchmark::Counter;
    st.counters["threads"] = C(threads);
    st.counters["ops_per_s"] = C(r.ops_per_s);
    st.counters["ns_per_op_per_thread"] = C(r.ns_per_op);
    st.counters["vk_allocate_memory_calls"] = C(static_cast<double>(r.device_allocs));
    st.counters["reserved_over_allocated"] = C(r.reserved_ratio);
    st.counters["cached_bytes_per_thread"] = C(r.cached_bytes_per_thread);
    st.counters["failures"] = C(static_cast<double>(r.failures));
    if (threads == 1)
        g_one_thread[w->name] = r.ops_per_s;
    const auto one = g_one_thread.find(w->name);
    if (one != g_one_thread.end() && one->second > 0.0)
        st.counters["scaling"] = C(r.ops_per_s / one->second);
    if (r.alloc_ns[0] > 0.0) {
        static const char *const keys[3] = {"p50", "p99", "p99_9"};
        for (int i = 0; i < 3; i++) {
            st.counters[std::string("alloc_ns_") + keys[i]] = C(r.alloc_ns[i]);
            st.counters[std::string("free_ns_") + keys[i]] = C(r.free_ns[i]);
        }
    }
    st.SetLabel(g_build);
    st.SetItemsProcessed(static_cast<int64_t>(r.ops * (runs ? runs : 1)));
}

void
register_all(const options &o)
{
    for (const vkm_workload *w : o.workloads) {
        std::vector<uint32_t> counts = w->single_thread ? std::vector<uint32_t>{1} : o.threads;
        for (uint32_t n : counts) {
            const std::string name =
                std::string(w->name) + "/" + g_build + "/threads:" + std::to_string(n);
            const double seconds = o.seconds;
            benchmark::RegisterBenchmark(
                name.c_str(),
                [w, n, seconds](benchmark::State &st) { run_workload(st, w, n, seconds); })
                ->UseManualTime()
                ->Iterations(1)
                ->Unit(benchmark::kMillisecond);
            g_names.push_back(name);
        }
    }
}

// The JSON file reporter, with the context's host_name blanked and executable cut to its
// base name (results files get committed and shared), and the NaN / inf that Google
// Benchmark writes for some aggregates (the coefficient of variation of a counter whose
// mean is 0) turned into null, which JSON readers accept.
class scrubbing_json_reporter : public benchmark::JSONReporter
{
  public:
    bool ReportContext(const Context &context) override
    {
        bool ok = false;
        filtered([&] { ok = JSONReporter::ReportContext(context); });
        return ok;
    }

    void ReportRuns(const std::vector<Run> &runs) override
    {
        filtered([&] { JSONReporter::ReportRuns(runs); });
    }

  private:
    // Runs write() with the output going to a buffer, then writes the buffer, line by
    // line scrubbed, to the real output (every '\n' kept where it was).
    template <typename F> void filtered(F write)
    {
        std::ostream &real = GetOutputStream();
        std::ostringstream buf;
        SetOutputStream(&buf);
        write();
        SetOutputStream(&real);
        const std::string text = buf.str();
        size_t start = 0;
        for (;;) {
            const size_t end = text.find('\n', start);
            real << scrub(text.substr(start, end == std::string::npos ? end : end - start));
            if (end == std::string::npos)
                break;
            real << '\n';
            start = end + 1;
        }
    }

    static std::string scrub(const std::string &line)
    {
        const size_t key = line.find('"');
        const size_t colon = line.find("\": ");
        if (key == std::string::npos || colon == std::string::npos)
            return line;
        const bool comma = line.back() == ',';
        const std::string head = line.substr(0, colon + 3);
        if (line.compare(key, 12, "\"host_name\":") == 0)
            return head + "\"\"" + (comma ? "," : "");
        if (line.compare(key, 13, "\"executable\":") == 0) {
            const size_t slash = line.rfind('/');
            if (slash != std::string::npos && slash > colon)
                return head + "\"" + line.substr(slash + 1);
        }
        std::string value = line.substr(colon + 3, line.size() - colon - 3 - (comma ? 1 : 0));
        if (!value.empty() && (value[0] == '-' || value[0] == '+'))
            value.erase(0, 1);
        for (char &c : value)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (value == "nan" || value == "inf" || value == "infinity")
            return head + "null" + (comma ? "," : "");
        return line;
    }
};

bool
has_number(const vkm_json *obj, const char *key)
{
    const vkm_json *v = vkm_json_get(obj, key);
    return v != nullptr && v->type == VKM_JSON_NUMBER && std::isfinite(v->number);
}

// --vkm_check: the saved JSON's shape; never a time.
bool
check_output(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    char err[256] = "";
    vkm_json *root = vkm_json_parse(text.data(), text.size(), err, sizeof(err));
    bool ok = root != nullptr;
    if (!ok)
        std::fprintf(stderr, "vkm_gbench --vkm_check: %s: %s\n", path.c_str(), err);
    const vkm_json *context = ok ? vkm_json_get(root, "context") : nullptr;
    const vkm_json *host = context != nullptr ? vkm_json_get(context, "host_name") : nullptr;
    if (ok && (host == nullptr || host->type != VKM_JSON_STRING || host->string[0] != '\0')) {
        std::fprintf(stderr, "vkm_gbench --vkm_check: context.host_name not scrubbed\n");
        ok = false;
    }
    const vkm_json *list = ok ? vkm_json_get(root, "benchmarks") : nullptr;
    if (ok && (list == nullptr || list->type != VKM_JSON_ARRAY)) {
        std::fprintf(stderr, "vkm_gbench --vkm_check: no benchmarks array\n");
        ok = false;
    }
    for (const std::string &name : g_names) {
        const vkm_json *found = nullptr;
        for (const vkm_json *b = ok ? list->child : nullptr; b != nullptr; b = b->next) {
            const vkm_json *n = vkm_json_get(b, "name");
            const vkm_json *type = vkm_json_get(b, "run_type");
            if (type != nullptr && type->type == VKM_JSON_STRING &&
                std::strcmp(type->string, "aggregate") == 0)
                continue; // the runs themselves carry the counters checked

            // Google Benchmark appends "/iterations:1/manual_time" to the name.
            if (n != nullptr && n->type == VKM_JSON_STRING &&
                std::strncmp(n->string, name.c_str(), name.size()) == 0 &&
                (n->string[name.size()] == '\0' || n->string[name.size()] == '/'))
                found = b;
        }
        if (!ok)
            break;
        const char *what = nullptr;
        if (found == nullptr)
            what = "missing";
        else if (vkm_json_get(found, "error_occurred") != nullptr)
            what = "reported an error";
        else if (!has_number(found, "ops_per_s") || !has_number(found, "ns_per_op_per_thread") ||
                 !has_number(found, "vk_allocate_memory_calls") ||
                 !has_number(found, "reserved_over_allocated") ||
                 !has_number(found, "cached_bytes_per_thread") || !has_number(found, "failures") ||
                 !has_number(found, "real_time") ||
                 vkm_json_get(found, "ops_per_s")->number <= 0.0 ||
                 vkm_json_get(found, "failures")->number != 0.0)
            what = "counters missing or malformed";
        else if (name.compare(0, 8, "latency/") == 0 &&
                 !(has_number(found, "alloc_ns_p50") && has_number(found, "alloc_ns_p99_9") &&
                   has_number(found, "free_ns_p50") && has_number(found, "free_ns_p99_9")))
            what = "latency percentiles missing";
        if (what != nullptr) {
            std::fprintf(stderr, "vkm_gbench --vkm_check: %s: %s\n", name.c_str(), what);
            ok = false;
        }
    }
    vkm_json_free(root);
    if (ok)
        std::printf("vkm_gbench --vkm_check: %s well formed (%zu benchmarks)\n", path.c_str(),
                    g_names.size());
    return ok;
}

} // namespace

int
main(int argc, char **argv)
{
    options o;
    if (!parse_args(&argc, argv, &o)) {
        std::fprintf(stderr,
                     "usage: %s [--vkm_threads=LIST] [--vkm_seconds=S] "
                     "[--vkm_workloads=LIST] [--vkm_smoke] [--vkm_check] "
                     "[--benchmark_...]\n",
                     argv[0]);
        return 2;
    }
    if (o.check && (o.out_path.empty() || !o.out_json)) {
        std::fprintf(stderr, "vkm_gbench: --vkm_check needs --benchmark_out=FILE (JSON)\n");
        return 2;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    g_build = vkmIsSingleMutexBuild() ? "single-mutex" : "default";

    const VkResult res = vkm_wl_device_create(&g_device);
    if (res == VK_ERROR_INCOMPATIBLE_DRIVER) {
        std::fprintf(stderr, "vkm_gbench: no Vulkan driver found\n");
        return 77;
    }
    if (res != VK_SUCCESS) {
        std::fprintf(stderr, "vkm_gbench: device creation failed (%d)\n", res);
        return 1;
    }
    benchmark::AddCustomContext("vkmalloc_build", g_build);
    benchmark::AddCustomContext("vulkan_device", g_device.vk.props.deviceName);
    register_all(o);

    scrubbing_json_reporter file_reporter;
    const bool scrub = !o.out_path.empty() && o.out_json;
    benchmark::RunSpecifiedBenchmarks(nullptr, scrub ? &file_reporter : nullptr);
    benchmark::Shutdown();
    vkm_wl_device_destroy(&g_device);
    return o.check && !check_output(o.out_path) ? 1 : 0;
}
