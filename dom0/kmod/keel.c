// SPDX-License-Identifier: GPL-2.0
/*
 * keel.ko: dom0's door to the Keel hypervisor. /dev/keel offers the
 * hypercall ioctl to root (public/keel.h: KEEL_IOCTL_HYPERCALL), bouncing
 * one user buffer (in, out or both) through kernel memory whose
 * guest-physical address the hypercall gets. Loads only under Keel (CPUID leaf 0x40000000) with the
 * ABI version it was built for.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/capability.h>
#include <linux/io.h>
#include <asm/processor.h>
#include <public/keel.h>

static long keel_vmcall(u64 nr, const u64 a[5])
{
    register u64 r10 asm("r10") = a[3];
    register u64 r8 asm("r8") = a[4];
    long ret;

    asm volatile("vmcall"
                 : "=a"(ret)
                 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8)
                 : "memory");
    return ret;
}

static long keel_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct keel_ioctl_hypercall hc;
    void *buf = NULL;
    long ret;

    if (cmd != KEEL_IOCTL_HYPERCALL)
        return -ENOTTY;
    if (!capable(CAP_SYS_ADMIN))
        return -EPERM;
    if (copy_from_user(&hc, (void __user *)arg, sizeof(hc)))
        return -EFAULT;
    if (hc.buf_len > KEEL_IOCTL_BUF_MAX || hc.buf_arg > 4 || (hc.buf_dir & ~(KEEL_BUF_IN | KEEL_BUF_OUT)) ||
        (hc.buf_len && !hc.buf_dir))
        return -EINVAL;
    if (hc.buf_len) {
        /* Physically contiguous: one guest-physical range for the hypervisor to check. */
        buf = kzalloc(hc.buf_len, GFP_KERNEL);
        if (!buf)
            return -ENOMEM;
        if ((hc.buf_dir & KEEL_BUF_IN) && copy_from_user(buf, u64_to_user_ptr(hc.buf), hc.buf_len)) {
            ret = -EFAULT;
            goto out;
        }
        hc.args[hc.buf_arg] = virt_to_phys(buf);
    }
    hc.result = keel_vmcall(hc.nr, hc.args);
    ret = 0;
    if ((hc.buf_dir & KEEL_BUF_OUT) && copy_to_user(u64_to_user_ptr(hc.buf), buf, hc.buf_len))
        ret = -EFAULT;
    else if (copy_to_user((void __user *)arg, &hc, sizeof(hc)))
        ret = -EFAULT;
out:
    kfree(buf);
    return ret;
}

static const struct file_operations keel_fops = {
    .owner = THIS_MODULE,
    .unlocked_ioctl = keel_ioctl,
    .compat_ioctl = keel_ioctl,
};

static struct miscdevice keel_dev = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "keel",
    .fops = &keel_fops,
    .mode = 0600,
};

static int __init keel_init(void)
{
    unsigned int eax, sig[3];
    static const u64 none[5];
    long abi;

    if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
        return -ENODEV;
    cpuid(KEEL_CPUID_SIGNATURE, &eax, &sig[0], &sig[1], &sig[2]);
    if (memcmp(sig, "KeelKeelKeel", 12)) {
        pr_info("keel: not running under the Keel hypervisor\n");
        return -ENODEV;
    }
    abi = keel_vmcall(KEEL_HC_ABI_VERSION, none);
    if (abi != KEEL_ABI_VERSION) {
        pr_err("keel: hypervisor ABI %#lx, this module speaks %#x\n", abi, KEEL_ABI_VERSION);
        return -EPROTO;
    }
    pr_info("keel: Keel hypervisor ABI %#lx, /dev/keel ready\n", abi);
    return misc_register(&keel_dev);
}

static void __exit keel_exit(void)
{
    misc_deregister(&keel_dev);
}

module_init(keel_init);
module_exit(keel_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keel hypervisor control device for dom0");
