//! Where the GPU backend's values are during a plan: each plan buffer's [`Slot`] (on the
//! host, on the device, or both), the device copies of host arrays kept across plans
//! (`resident`), and the moves between the two sides.

use super::device::DeviceBuffer;
use super::{Gpu, buffer_layout, internal, transfer};
use crate::diag::Result;
use crate::dtype::DType;
use crate::fuse::Plan;
use crate::runtime::{Array, DeviceValue};
use std::rc::Rc;

/// Resident entries beyond which dead ones are swept.
const RESIDENT_SWEEP: usize = 64;

/// Where a plan buffer's value is: on the host, on the device, or both.
#[derive(Default, Clone)]
pub(super) struct Slot {
    /// The value on the host.
    pub(super) host: Option<Rc<Array>>,
    /// The value on the device (row-major, or a strided host value's whole span).
    pub(super) device: Option<Rc<DeviceBuffer>>,
    /// Host bytes before the element a kernel's offset 0 names, for a strided host value
    /// uploaded whole (its span starts at its lowest address).
    pub(super) shift_bytes: i64,
}

impl Slot {
    /// A value on the host only.
    pub(super) fn host(a: Rc<Array>) -> Slot {
        Slot {
            host: Some(a),
            ..Slot::default()
        }
    }

    /// A value on the device only.
    pub(super) fn device(d: Rc<DeviceBuffer>) -> Slot {
        Slot {
            device: Some(d),
            ..Slot::default()
        }
    }
}

/// The device buffer of a value this backend kept on its device.
pub(super) fn ours(d: &DeviceValue) -> Result<Rc<DeviceBuffer>> {
    d.handle
        .clone()
        .downcast::<DeviceBuffer>()
        .map_err(|_| d.foreign())
}

impl Gpu {
    /// The device copy of `host`, if one is resident.
    pub(super) fn resident(&self, host: &Rc<Array>) -> Option<Rc<DeviceBuffer>> {
        let (weak, device) = self.resident.get(&(Rc::as_ptr(host) as usize))?;
        let alive = weak.upgrade()?;
        Rc::ptr_eq(&alive, host).then(|| device.clone())
    }

    /// Remembers that `device` holds `host`'s elements, row-major.
    fn keep_resident(&mut self, host: &Rc<Array>, device: Rc<DeviceBuffer>) {
        if self.resident.len() >= RESIDENT_SWEEP {
            self.resident.retain(|_, (weak, _)| weak.strong_count() > 0);
        }
        self.resident
            .insert(Rc::as_ptr(host) as usize, (Rc::downgrade(host), device));
    }

    /// The slot's value on the device: resident, or uploaded from the host now.
    pub(super) fn on_device(&mut self, slot: &mut Slot) -> Result<Rc<DeviceBuffer>> {
        if let Some(d) = &slot.device {
            return Ok(d.clone());
        }
        let host = slot
            .host
            .clone()
            .ok_or_else(|| internal("a value is neither on the host nor on the device"))?;
        if let Some(d) = self.resident(&host) {
            slot.device = Some(d.clone());
            return Ok(d);
        }
        let (bytes, shift) = transfer::device_bytes(&host);
        let d = Rc::new(self.device.upload(&bytes)?);
        self.stats.uploads += 1;
        if shift == 0 && host.is_standard_layout() {
            self.keep_resident(&host, d.clone());
        }
        slot.device = Some(d.clone());
        slot.shift_bytes = shift;
        Ok(d)
    }

    /// The slot's value on the host, read back if needed (`shape` and `dtype` are the
    /// buffer's).
    pub(super) fn on_host(
        &mut self,
        slot: &mut Slot,
        shape: &[usize],
        dtype: DType,
    ) -> Result<Rc<Array>> {
        if let Some(h) = &slot.host {
            return Ok(h.clone());
        }
        let d = slot
            .device
            .clone()
            .ok_or_else(|| internal("a value is neither on the host nor on the device"))?;
        let bytes = shape.iter().product::<usize>() * dtype.size_bytes();
        crate::runtime::check_alloc(bytes as u64)?;
        let host = Rc::new(transfer::from_device(&self.device.read(&d)?, shape, dtype)?);
        self.stats.readbacks += 1;
        self.keep_resident(&host, d);
        slot.host = Some(host.clone());
        Ok(host)
    }

    /// The buffer an indexed update writes: buffer `b` itself when it dies here
    /// (`in_place`), else a copy of it on the device (a host value is uploaded row-major).
    pub(super) fn update_target(
        &mut self,
        plan: &Plan,
        slots: &mut [Slot],
        b: usize,
        in_place: Option<usize>,
    ) -> Result<DeviceBuffer> {
        if in_place == Some(b)
            && let Some(d) = slots[b].device.take()
        {
            match Rc::try_unwrap(d) {
                Ok(d) => return Ok(d),
                Err(shared) => slots[b].device = Some(shared),
            }
        }
        match (&slots[b].device, &slots[b].host) {
            (Some(d), _) if slots[b].shift_bytes == 0 && !strided_host(&slots[b]) => {
                self.device.duplicate(d)
            }
            (_, Some(h)) => {
                let standard = h.as_ref().clone().into_standard_layout();
                self.device.upload(&transfer::device_bytes(&standard).0)
            }
            (Some(_), None) => {
                let (shape, dtype) = buffer_layout(plan, b);
                let h = self.on_host(&mut slots[b], &shape, dtype)?;
                let standard = h.as_ref().clone().into_standard_layout();
                self.device.upload(&transfer::device_bytes(&standard).0)
            }
            (None, None) => Err(internal("an update's array is missing")),
        }
    }
}

/// Whether a slot's host value is strided (its device copy, if any, is not row-major).
fn strided_host(slot: &Slot) -> bool {
    slot.host.as_ref().is_some_and(|h| !h.is_standard_layout())
}
