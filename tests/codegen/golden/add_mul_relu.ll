; ModuleID = "tenkai"

define void @"k0_add_mul_relu"(ptr noalias %"x", ptr noalias %"fc.bias", ptr noalias %"n4_relu") noinline nounwind
{
entry:
  br label %"body"
body:
  br label %"i.loop"
i.loop:
  %"i" = phi  i64 [0, %"body"], [%"i.next", %"i.loop"]
  %".6" = getelementptr inbounds float, ptr %"x", i64 %"i"
  %".7" = load float, ptr %".6", align 4
  %".8" = getelementptr inbounds float, ptr %"fc.bias", i64 %"i"
  %".9" = load float, ptr %".8", align 4
  %"n2_add" = fadd float %".7", %".9"
  %".11" = getelementptr inbounds float, ptr %"x", i64 %"i"
  %".12" = load float, ptr %".11", align 4
  %"n3_mul" = fmul float %"n2_add", %".12"
  %".14" = fcmp ogt float %"n3_mul",              0x0
  %".15" = fcmp uno float %"n3_mul", %"n3_mul"
  %".16" = or i1 %".14", %".15"
  %"n4_relu.1" = select  i1 %".16", float %"n3_mul", float              0x0
  %".18" = getelementptr inbounds float, ptr %"n4_relu", i64 %"i"
  store float %"n4_relu.1", ptr %".18", align 4
  %"i.next" = add nuw nsw i64 %"i", 1
  %".20" = icmp slt i64 %"i.next", 16
  br i1 %".20", label %"i.loop", label %"i.exit"
i.exit:
  ret void
}

define void @"tk_step"(ptr %"buffers") nounwind
{
entry:
  %".3" = getelementptr inbounds ptr, ptr %"buffers", i64 0
  %"x.ptr" = load ptr, ptr %".3"
  %".4" = getelementptr inbounds ptr, ptr %"buffers", i64 1
  %"fc.bias.ptr" = load ptr, ptr %".4"
  %".5" = getelementptr inbounds ptr, ptr %"buffers", i64 2
  %"n4_relu.ptr" = load ptr, ptr %".5"
  call void @"k0_add_mul_relu"(ptr %"x.ptr", ptr %"fc.bias.ptr", ptr %"n4_relu.ptr")
  ret void
}
