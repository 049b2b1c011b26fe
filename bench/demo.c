/* SPDX-License-Identifier: MIT */
/*
 * vkm_demo - the README's main job (for now): an allocator on the embedded default device
 * (Lavapipe unless VK_ICD_FILENAMES / VK_DRIVER_FILES names another driver), several
 * threads streaming buffers and images through it with a FIFO lifetime, mapped writes
 * checked on read-back, then the statistics and heap budgets.
 *
 *   vkm_demo [--threads N] [--seconds S] [--smoke]
 *
 * The benchmark issue turns this into the contention comparison.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "vk_ctx.h"
#include "vk_mem_alloc.h"
#include "vkmalloc.h"

#define WINDOW 48

typedef struct {
    VmaAllocator allocator;
    unsigned seed;
    double seconds;
    uint64_t buffers, images, bytes, failures;
} worker;

static uint32_t
rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

typedef struct {
    VkBuffer buffer;
    VkImage image;
    VmaAllocation alloc;
} slot;

static void
release(VmaAllocator a, slot *s)
{
    if (s->buffer != VK_NULL_HANDLE)
        vmaDestroyBuffer(a, s->buffer, s->alloc);
    else if (s->image != VK_NULL_HANDLE)
        vmaDestroyImage(a, s->image, s->alloc);
    memset(s, 0, sizeof(*s));
}

static void *
stream(void *arg)
{
    worker *w = arg;
    slot ring[WINDOW];
    memset(ring, 0, sizeof(ring));
    const double end = vkm_bench_now_s() + w->seconds;
    for (unsigned i = 0; vkm_bench_now_s() < end; i++) {
        slot *s = &ring[i % WINDOW];
        release(w->allocator, s);
        uint32_t r = rnd(&w->seed);
        if (r % 4 != 0) {
            /* mostly small buffers, some up to 1 MiB; a third written through a mapping */
            VkDeviceSize size = (r % 16 == 1) ? 256 * 1024 + r % (768 * 1024) : 256 + r % (64 * 1024);
            bool mapped = r % 3 == 0;
            VkBufferCreateInfo bci = {
                .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                .size = size,
                .usage = mapped ? VK_BUFFER_USAGE_TRANSFER_SRC_BIT
                                : VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
            };
            VmaAllocationCreateInfo aci = {
                .usage = VMA_MEMORY_USAGE_AUTO,
                .flags = mapped ? VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                                      VMA_ALLOCATION_CREATE_MAPPED_BIT
                                : 0,
            };
            VmaAllocationInfo info;
            if (vmaCreateBuffer(w->allocator, &bci, &aci, &s->buffer, &s->alloc, &info) != VK_SUCCESS) {
                w->failures++;
                continue;
            }
            if (mapped && info.pMappedData != NULL) {
                memset(info.pMappedData, (int)(i & 0xff), (size_t)size);
                vmaFlushAllocation(w->allocator, s->alloc, 0, VK_WHOLE_SIZE);
                if (((unsigned char *)info.pMappedData)[size - 1] != (unsigned char)(i & 0xff))
                    w->failures++;
            }
            w->buffers++;
            w->bytes += size;
        } else {
            uint32_t dim = 64u << (r % 4);
            VkImageCreateInfo ici = {
                .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                .imageType = VK_IMAGE_TYPE_2D,
                .format = VK_FORMAT_R8G8B8A8_UNORM,
                .extent = {dim, dim, 1},
                .mipLevels = 1,
                .arrayLayers = 1,
                .samples = VK_SAMPLE_COUNT_1_BIT,
                .tiling = VK_IMAGE_TILING_OPTIMAL,
                .usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
            };
            VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
            if (vmaCreateImage(w->allocator, &ici, &aci, &s->image, &s->alloc, NULL) != VK_SUCCESS) {
                w->failures++;
                continue;
            }
            w->images++;
            w->bytes += (uint64_t)dim * dim * 4;
        }
    }
    for (unsigned i = 0; i < WINDOW; i++)
        release(w->allocator, &ring[i]);
    return NULL;
}

int
main(int argc, char **argv)
{
    unsigned threads = 4;
    double seconds = 3.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--smoke") == 0)
            seconds = 0.5;
        else {
            fprintf(stderr, "usage: %s [--threads N] [--seconds S] [--smoke]\n", argv[0]);
            return 2;
        }
    }
    if (threads == 0 || threads > 256)
        threads = 4;

    vkm_test_vk_options opt = vkm_test_vk_default_options();
    opt.validation = false;
    vkm_test_vk ctx;
    VkResult res = vkm_test_vk_create(&ctx, &opt);
    if (res == VK_ERROR_INCOMPATIBLE_DRIVER) {
        fprintf(stderr, "vkm_demo: no Vulkan driver found\n");
        return 77;
    }
    if (res != VK_SUCCESS) {
        fprintf(stderr, "vkm_demo: device creation failed (%d)\n", res);
        return 1;
    }
    VmaVulkanFunctions fns;
    vkm_test_vk_fill_functions(&ctx, &fns);
    VmaAllocatorCreateInfo aci = {.pVulkanFunctions = &fns};
    vkm_test_vk_fill_allocator_info(&ctx, &aci);
    VmaAllocator allocator;
    res = vmaCreateAllocator(&aci, &allocator);
    if (res != VK_SUCCESS) {
        fprintf(stderr, "vkm_demo: vmaCreateAllocator failed (%d)\n", res);
        vkm_test_vk_destroy(&ctx);
        return 1;
    }

    printf("vkmalloc %u.%u.%u (%s build) on %s, %u threads, %.1f s\n",
           VKMALLOC_VERSION_MAJOR, VKMALLOC_VERSION_MINOR, VKMALLOC_VERSION_PATCH,
           vkmIsSingleMutexBuild() ? "single-mutex" : "default", ctx.props.deviceName, threads,
           seconds);
    pthread_t tid[256];
    worker w[256];
    double t0 = vkm_bench_now_s();
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (worker){.allocator = allocator, .seed = 12345u + i * 7919u, .seconds = seconds};
        pthread_create(&tid[i], NULL, stream, &w[i]);
    }
    uint64_t buffers = 0, images = 0, bytes = 0, failures = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        buffers += w[i].buffers;
        images += w[i].images;
        bytes += w[i].bytes;
        failures += w[i].failures;
    }
    double dt = vkm_bench_now_s() - t0;

    printf("created and destroyed %" PRIu64 " buffers and %" PRIu64 " images (%.1f MiB) "
           "in %.2f s: %.0f resources/s, %" PRIu64 " failures\n",
           buffers, images, (double)bytes / (1 << 20), dt, (double)(buffers + images) / dt,
           failures);

    VmaTotalStatistics st;
    vmaCalculateStatistics(allocator, &st);
    printf("after the run: %u blocks (%.1f MiB), %u allocations (%" PRIu64 " bytes)\n",
           st.total.statistics.blockCount, (double)st.total.statistics.blockBytes / (1 << 20),
           st.total.statistics.allocationCount, (uint64_t)st.total.statistics.allocationBytes);
    const VkPhysicalDeviceMemoryProperties *mp;
    vmaGetMemoryProperties(allocator, &mp);
    VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(allocator, budgets);
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++)
        printf("heap %u: usage %.1f MiB of budget %.1f MiB\n", h,
               (double)budgets[h].usage / (1 << 20), (double)budgets[h].budget / (1 << 20));

    vmaDestroyAllocator(allocator);
    vkm_test_vk_destroy(&ctx);
    /* the run must leave nothing behind and must not have failed */
    if (failures != 0 || st.total.statistics.allocationCount != 0) {
        fprintf(stderr, "vkm_demo: FAILED\n");
        return 1;
    }
    return 0;
}
